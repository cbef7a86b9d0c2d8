package io.sparsestep.store;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parsed and checked header of a safetensors file: where each tensor's bytes lie.
 * Every check a reader needs before trusting offsets happens here, so a corrupt or
 * truncated file fails with a {@link SafetensorsFormatException} naming the file and the
 * problem, never with an out-of-bounds read. Lengths in the file are untrusted: each is
 * compared with the bytes the file really holds before anything is allocated for it, so a
 * reader never allocates more than the file's size (plus the parsed JSON of its header).
 */
record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries, long dataStart) {
    static final String METADATA_KEY = "__metadata__";
    static final String F32 = "F32";
    /** The reference implementation refuses larger headers; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    /** A valid header nests three deep (root, tensor, shape); deeper input is refused early. */
    static final int MAX_NESTING = 16;
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                    .build())
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
        long headerLength = readFully(file, channel, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        checkHeaderLength(file, headerLength, size - Long.BYTES);
        JsonNode root = parse(file, readFully(file, channel, Long.BYTES, (int) headerLength).array());
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

    /**
     * The format's length is a u64: compared unsigned (a length with the top bit set is
     * huge, not negative) with what follows it in the file, before the header is allocated.
     */
    private static void checkHeaderLength(Path file, long length, long available) throws SafetensorsFormatException {
        String shown = Long.toUnsignedString(length);
        if (Long.compareUnsigned(length, available) > 0) {
            throw corrupt(file, "header length " + shown + " does not fit the file's " + available
                    + " bytes after the length field (truncated, or not a safetensors file)");
        }
        if (length < 2) {
            throw corrupt(file, "header length " + shown + " is too small for a JSON object (not a safetensors file)");
        }
        if (length > MAX_HEADER_BYTES) {
            throw corrupt(file, "header length " + shown + " is over the format's limit of " + MAX_HEADER_BYTES + " bytes");
        }
    }

    /**
     * Decodes as strict UTF-8 first (the format's encoding): Jackson alone would guess
     * UTF-16 or UTF-32 from zero bytes and accept some ill-formed sequences.
     */
    private static JsonNode parse(Path file, byte[] bytes) throws SafetensorsFormatException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        String text;
        try {
            text = utf8.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "header is not UTF-8 (invalid byte sequence at header byte " + in.position() + ")");
        }
        if (!text.startsWith("{")) {
            throw corrupt(file, "header does not start with '{' (not a safetensors file)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            String at = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw corrupt(file, "header is not valid JSON: " + OneLine.excerpt(String.valueOf(e.getOriginalMessage())) + at);
        }
        if (root == null || !root.isObject()) {
            throw corrupt(file, "header is not a JSON object");
        }
        return root;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata)
            throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw corrupt(file, METADATA_KEY + " holds " + describe(node) + ", not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw corrupt(file, METADATA_KEY + " value for " + OneLine.quoted(field.getKey()) + " is "
                        + describe(field.getValue()) + ", not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node) throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw corrupt(file, tensor(name) + " is described by " + describe(node) + ", not a JSON object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw corrupt(file, tensor(name) + " has no dtype string");
        }
        if (!dtype.textValue().equals(F32)) {
            throw corrupt(file, tensor(name) + " has dtype " + OneLine.quoted(dtype.textValue())
                    + "; only F32 is supported (convert the checkpoint to float32)");
        }
        long[] shapeLongs = naturals(file, name, node, "shape", -1);
        long[] offsets = naturals(file, name, node, "data_offsets", 2);
        int[] shape = new int[shapeLongs.length];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shapeLongs[i] > Integer.MAX_VALUE) {
                throw corrupt(file, tensor(name) + " dimension " + shapeLongs[i] + " is too large");
            }
            shape[i] = (int) shapeLongs[i];
            elements = multiplyOrFail(file, name, elements, shape[i]);
        }
        long begin = offsets[0];
        long end = offsets[1];
        long expected = multiplyOrFail(file, name, elements, Float.BYTES);
        if (end < begin || end - begin != expected) {
            throw corrupt(file, tensor(name) + " data_offsets [" + begin + "," + end
                    + "] do not span the " + expected + " bytes its shape needs");
        }
        return new Entry(name, shape, begin, end);
    }

    /** Tensors must tile the data section exactly: no gap, no overlap, nothing missing. */
    private static void checkLayout(Path file, List<Entry> entries, long dataBytes) throws SafetensorsFormatException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        for (Entry entry : byOffset) {
            if (entry.begin() != covered) {
                throw corrupt(file, tensor(entry.name()) + " starts at data byte " + entry.begin()
                        + " but the previous tensor ends at " + covered + " (tensors overlap or leave a gap)");
            }
            covered = entry.end();
        }
        if (covered != dataBytes) {
            throw corrupt(file, "tensors cover " + covered + " data bytes but the file holds "
                    + dataBytes + (covered > dataBytes ? " (truncated file)" : " (trailing bytes)"));
        }
    }

    /** The array {@code key} of a tensor, of {@code length} entries (any if negative), each an integer >= 0. */
    private static long[] naturals(Path file, String name, JsonNode node, String key, int length)
            throws SafetensorsFormatException {
        JsonNode array = node.get(key);
        if (array == null || !array.isArray() || (length >= 0 && array.size() != length)) {
            throw corrupt(file, tensor(name) + " has no valid " + key
                    + (length >= 0 ? " (expected " + length + " integers)" : " (expected an integer array)"));
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = array.get(i);
            // integers only, as the reference reader: 4.0 or 4e0 is a float, not a size
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw corrupt(file, tensor(name) + " " + key + " holds " + describe(value)
                        + ", not a non-negative 64-bit integer");
            }
            values[i] = value.longValue();
        }
        return values;
    }

    private static long multiplyOrFail(Path file, String name, long a, long b) throws SafetensorsFormatException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw corrupt(file, tensor(name) + " is too large (size overflows 64 bits)");
        }
    }

    /** {@code length} bytes from {@code position}; the caller has checked them against the file's size. */
    private static ByteBuffer readFully(Path file, FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw corrupt(file, "file ended at byte " + (position + buffer.position())
                        + " inside the header (it was cut short while being read)");
            }
        }
        return buffer.flip();
    }

    /** A JSON value in a message: containers by kind only (they can be megabytes), scalars cut short. */
    private static String describe(JsonNode node) {
        if (node.isContainerNode()) {
            return node.isArray() ? "an array" : "an object";
        }
        if (node.isTextual()) {
            return "the string " + OneLine.quoted(node.textValue());
        }
        return node.isNumber() || node.isBoolean() ? OneLine.excerpt(node.asText())
                : node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String tensor(String name) {
        return "tensor " + OneLine.quoted(name);
    }

    static SafetensorsFormatException corrupt(Path file, String problem) {
        return new SafetensorsFormatException(file, problem);
    }
}
