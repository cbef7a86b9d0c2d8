package io.sparsestep.train.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and checked header of a safetensors file: where each tensor's bytes lie.
 * Every check a reader needs before trusting offsets happens here, so a corrupt or
 * truncated file fails with one line naming the file and the problem, never with an
 * out-of-bounds read.
 */
record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries, long dataStart) {
    static final String METADATA_KEY = "__metadata__";
    static final String F32 = "F32";
    /** The reference implementation refuses larger headers; so do we, before allocating. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One tensor: name, shape, and byte range relative to the start of the data section. */
    record Entry(String name, int[] shape, long begin, long end) {}

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < Long.BYTES) {
            throw corrupt(file, "file is " + size + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lengthBytes = readFully(channel, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - Long.BYTES) {
            throw corrupt(file, "header length " + headerLength + " does not fit the file's "
                    + (size - Long.BYTES) + " bytes after the length field (truncated, or not a safetensors file)");
        }
        ByteBuffer headerBytes = readFully(channel, Long.BYTES, (int) headerLength);
        if (headerBytes.get(0) != '{') {
            throw corrupt(file, "header does not start with '{' (not a safetensors file)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JacksonException e) {
            throw corrupt(file, "header is not valid JSON: "
                    + String.valueOf(e.getOriginalMessage()).replaceAll("\\s*\\R\\s*", " "));
        }
        if (root == null || !root.isObject()) {
            throw corrupt(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue()));
            }
        }
        long dataStart = Long.BYTES + headerLength;
        checkLayout(file, entries, size - dataStart);
        return new SafetensorsHeader(metadata, entries, dataStart);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata)
            throws IOException {
        if (!node.isObject()) {
            throw corrupt(file, METADATA_KEY + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw corrupt(file, METADATA_KEY + " value for '" + field.getKey() + "' is not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node) throws IOException {
        if (!node.isObject()) {
            throw corrupt(file, "tensor '" + name + "' is not described by a JSON object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw corrupt(file, "tensor '" + name + "' has no dtype");
        }
        if (!dtype.textValue().equals(F32)) {
            throw corrupt(file, "tensor '" + name + "' has dtype " + dtype.textValue()
                    + "; only F32 is supported (convert the checkpoint to float32)");
        }
        long[] shapeLongs = longArray(file, name, node, "shape", -1);
        long[] offsets = longArray(file, name, node, "data_offsets", 2);
        int[] shape = new int[shapeLongs.length];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shapeLongs[i] > Integer.MAX_VALUE) {
                throw corrupt(file, "tensor '" + name + "' dimension " + shapeLongs[i] + " is too large");
            }
            shape[i] = (int) shapeLongs[i];
            elements = multiplyOrFail(file, name, elements, shape[i]);
        }
        long begin = offsets[0];
        long end = offsets[1];
        long expected = multiplyOrFail(file, name, elements, Float.BYTES);
        if (end < begin || end - begin != expected) {
            throw corrupt(file, "tensor '" + name + "' data_offsets [" + begin + "," + end
                    + "] do not span the " + expected + " bytes its shape needs");
        }
        return new Entry(name, shape, begin, end);
    }

    /** Tensors must tile the data section exactly: no gap, no overlap, nothing missing. */
    private static void checkLayout(Path file, List<Entry> entries, long dataBytes) throws IOException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        for (Entry entry : byOffset) {
            if (entry.begin() != covered) {
                throw corrupt(file, "tensor '" + entry.name() + "' starts at data byte " + entry.begin()
                        + " but the previous tensor ends at " + covered + " (tensors overlap or leave a gap)");
            }
            covered = entry.end();
        }
        if (covered != dataBytes) {
            throw corrupt(file, "tensors cover " + covered + " data bytes but the file holds "
                    + dataBytes + (covered > dataBytes ? " (truncated file)" : " (trailing bytes)"));
        }
    }

    private static long[] longArray(Path file, String name, JsonNode node, String key, int length)
            throws IOException {
        JsonNode array = node.get(key);
        if (array == null || !array.isArray() || (length >= 0 && array.size() != length)) {
            throw corrupt(file, "tensor '" + name + "' has no valid " + key
                    + (length >= 0 ? " (expected " + length + " integers)" : " (expected an integer array)"));
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = array.get(i);
            if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.asLong() < 0) {
                throw corrupt(file, "tensor '" + name + "' " + key + " holds " + value
                        + ", not a non-negative integer");
            }
            values[i] = value.asLong();
        }
        return values;
    }

    private static long multiplyOrFail(Path file, String name, long a, long b) throws IOException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw corrupt(file, "tensor '" + name + "' is too large (size overflows 64 bits)");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    static IOException corrupt(Path file, String problem) {
        return new IOException(file + ": corrupt safetensors file: " + problem);
    }
}
