package io.sparsestep.store;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints in the safetensors format, readable by the Hugging Face tooling: an 8-byte
 * little-endian header length N, N bytes of JSON header (padded with spaces to a multiple
 * of 8 so the data is 8-byte aligned), then the raw tensor bytes. Only float32 ("F32")
 * is written and read; data on disk is little-endian whatever the host order.
 */
public final class Safetensors {
    /**
     * Copy granularity: bounds the heap a write uses however large a tensor is, and keeps
     * each read's window within the int size of a ByteBuffer.
     */
    private static final int CHUNK_BYTES = 1 << 20;
    private static final ValueLayout.OfFloat NATIVE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfFloat FILE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Safetensors() {}

    /**
     * Atomically writes {@code tensors} in map order, with {@code metadata} (may be empty)
     * under {@code __metadata__}.
     */
    public static void write(Path file, LinkedHashMap<String, FloatTensorData> tensors,
                             Map<String, String> metadata) throws IOException {
        byte[] header = headerBytes(tensors, metadata);
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(header.length).array());
            out.write(header);
            for (FloatTensorData tensor : tensors.values()) {
                writeData(out, tensor.data());
            }
        });
    }

    /**
     * Reads every tensor of {@code file} into memory allocated from {@code arena}, in the
     * file's header order. Never allocates more than the file's size from {@code arena}.
     *
     * @throws SafetensorsFormatException (one line: the file and the problem) when the file
     *     is truncated or malformed; any other IOException only when it cannot be read at all
     */
    public static LinkedHashMap<String, FloatTensorData> read(Path file, Arena arena)
            throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(file, channel);
            LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry entry : header.entries()) {
                // the header checked that the tensors tile the bytes the file really holds
                MemorySegment data = arena.allocate(entry.end() - entry.begin(), Float.BYTES);
                readData(file, channel, header.dataStart() + entry.begin(), data, entry.name());
                tensors.put(entry.name(), new FloatTensorData(entry.shape(), data));
            }
            return tensors;
        }
    }

    /**
     * The {@code __metadata__} strings of {@code file}, in file order (empty if it has none).
     * For numbers stored there, {@link SafetensorsMetadata#read} parses and checks them.
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        return SafetensorsMetadata.read(file).values();
    }

    /**
     * Reads through the channel rather than a mapping: a file cut short by another process
     * after the header was checked then ends in a clear error, where a mapped page beyond
     * the new end would fault the JVM.
     */
    private static void readData(Path file, FileChannel channel, long position, MemorySegment data, String name)
            throws IOException {
        for (long done = 0; done < data.byteSize(); ) {
            ByteBuffer window = data.asSlice(done, Math.min(CHUNK_BYTES, data.byteSize() - done)).asByteBuffer();
            while (window.hasRemaining()) {
                if (channel.read(window, position + done + window.position()) < 0) {
                    throw SafetensorsHeader.corrupt(file, "file ended at byte " + (position + done + window.position())
                            + " inside tensor " + OneLine.quoted(name) + " (it was cut short while being read)");
                }
            }
            done += window.capacity();
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // in place, little-endian file order to host order
            MemorySegment.copy(data, FILE_FLOAT, 0, data, NATIVE_FLOAT, 0, data.byteSize() / Float.BYTES);
        }
    }

    /** JSON header, space-padded to a multiple of 8 bytes. */
    static byte[] headerBytes(LinkedHashMap<String, FloatTensorData> tensors,
                              Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(SafetensorsHeader.METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, FloatTensorData> tensor : tensors.entrySet()) {
            if (tensor.getKey().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor may not be named "
                        + SafetensorsHeader.METADATA_KEY + "; the format reserves that key for metadata");
            }
            long bytes = tensor.getValue().data().byteSize();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", SafetensorsHeader.F32);
            entry.put("shape", tensor.getValue().shape());
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(tensor.getKey(), entry);
            offset += bytes;
        }
        byte[] json = SafetensorsHeader.JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] bytes = new byte[padded];
        System.arraycopy(json, 0, bytes, 0, json.length);
        Arrays.fill(bytes, json.length, padded, (byte) ' ');
        return bytes;
    }

    private static void writeData(OutputStream out, MemorySegment data) throws IOException {
        byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, data.byteSize())];
        MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
        for (long done = 0; done < data.byteSize(); ) {
            int bytes = (int) Math.min(chunk.length, data.byteSize() - done);
            MemorySegment.copy(data, NATIVE_FLOAT, done, chunkSegment, FILE_FLOAT, 0, bytes / Float.BYTES);
            out.write(chunk, 0, bytes);
            done += bytes;
        }
    }
}
