package io.sparsestep.store;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Safetensors files assembled byte by byte, for inputs the writer would never produce. */
final class SafetensorsBytes {
    private SafetensorsBytes() {}

    /** Length field, {@code json} space-padded to a multiple of 8 as the writer does, then {@code data}. */
    static byte[] frame(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(header, (header.length + 7) / 8 * 8);
        Arrays.fill(padded, header.length, padded.length, (byte) ' ');
        return frame(padded, data);
    }

    /** Length field, {@code header} exactly as given (any bytes, no padding), then {@code data}. */
    static byte[] frame(byte[] header, byte[] data) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(lengthField(header.length));
        file.writeBytes(header);
        file.writeBytes(data);
        return file.toByteArray();
    }

    /** {@code file} with its 8-byte length field replaced by {@code length} (any u64 bit pattern). */
    static byte[] withHeaderLength(byte[] file, long length) {
        byte[] copy = file.clone();
        System.arraycopy(lengthField(length), 0, copy, 0, Long.BYTES);
        return copy;
    }

    /** The header bytes of a well-formed {@code file}. */
    static byte[] header(byte[] file) {
        return Arrays.copyOfRange(file, Long.BYTES, dataStart(file));
    }

    /** The data bytes of a well-formed {@code file}. */
    static byte[] data(byte[] file) {
        return Arrays.copyOfRange(file, dataStart(file), file.length);
    }

    /** Where the data of a well-formed {@code file} begins. */
    static int dataStart(byte[] file) {
        return Long.BYTES + (int) ByteBuffer.wrap(file, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] lengthField(long length) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }
}
