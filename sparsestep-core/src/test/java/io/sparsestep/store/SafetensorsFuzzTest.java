package io.sparsestep.store;

import static io.sparsestep.store.ReaderProbe.Verdict.READ;
import static io.sparsestep.store.ReaderProbe.Verdict.REJECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparsestep.store.ReaderProbe.Outcome;
import io.sparsestep.store.ReaderProbe.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors reader against hostile input: every prefix of valid files, thousands of
 * seeded random mutations, and hand-made headers for each way a header can lie (lengths,
 * offsets, shapes, dtypes, names, encodings, nesting, metadata numbers). Each input must
 * be read, or refused with the reader's one exception and a one-line message; the
 * {@link ReaderProbe} fails the test on anything else, on a slow read, and on allocation
 * the file's size does not cover. The timeout runs each test in its own thread, so a hang
 * fails instead of blocking the build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SafetensorsFuzzTest {
    /** Change to explore other inputs; a failure names its case, which this seed reproduces. */
    private static final long SEED = 0x5AFE_7E45_0001L;
    private static final int RANDOM_CASES = 4000;
    /** Bytes a mutation prefers: JSON structure, digits, and bytes that are never UTF-8 on their own. */
    private static final byte[] INTERESTING = interesting();

    @TempDir
    Path dir;

    private ReaderProbe probe;

    @BeforeEach
    void newProbe() {
        probe = new ReaderProbe(dir.resolve("case.safetensors"));
    }

    @AfterEach
    void report() {
        System.out.printf("%d reads, slowest %.1f ms%n", probe.reads(), probe.slowest().toNanos() / 1e6);
    }

    // ---- valid starting points ------------------------------------------------------------

    /** A checkpoint: several tensors (an empty one, a scalar) and scalars in the metadata. */
    private byte[] checkpoint() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "sparsestep");
        metadata.put("step", "1200");
        metadata.put("epoch", "3");
        metadata.put("lr", "0.1");
        metadata.put("tau", "1.0E-4");
        metadata.put("test_accuracy", "0.9967");
        metadata.put("note", "lr halved at epoch 2");
        return written("checkpoint", List.of(
                Map.entry("layer1.0.conv1.weight", new int[] {2, 1, 3, 3}),
                Map.entry("layer1.0.conv1.bias", new int[] {2}),
                Map.entry("bn1.running_mean", new int[] {2}),
                Map.entry("empty", new int[] {0, 3}),
                Map.entry("scale", new int[] {}),
                Map.entry("fc.weight", new int[] {3, 4})), metadata);
    }

    private byte[] weightsOnly() throws IOException {
        return written("weights", List.of(Map.entry("w", new int[] {5})), Map.of());
    }

    private byte[] metadataOnly() throws IOException {
        return written("metadata", List.of(), Map.of("step", "7"));
    }

    /** The bytes {@link Safetensors#write} produces for these tensors (seeded values). */
    private byte[] written(String name, List<Map.Entry<String, int[]>> shapes, Map<String, String> metadata)
            throws IOException {
        Random random = new Random(SEED);
        Path file = dir.resolve(name + ".safetensors");
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, int[]> shape : shapes) {
                int count = Arrays.stream(shape.getValue()).reduce(1, (a, b) -> a * b);
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (float) random.nextGaussian();
                }
                tensors.put(shape.getKey(), new FloatTensorData(shape.getValue(),
                        arena.allocateFrom(ValueLayout.JAVA_FLOAT, values)));
            }
            Safetensors.write(file, tensors, metadata);
        }
        return Files.readAllBytes(file);
    }

    private List<byte[]> validFiles() throws IOException {
        return List.of(checkpoint(), weightsOnly(), metadataOnly());
    }

    // ---- truncation and length ------------------------------------------------------------

    @Test
    void validFilesAreReadAndEveryPrefixOfThemIsRejected() throws IOException {
        for (byte[] file : validFiles()) {
            expect(READ, "whole file", file);
            // every header boundary and every data offset: any cut loses bytes the header promised
            for (int length = 0; length < file.length; length++) {
                expect(REJECTED, "first " + length + " of " + file.length + " bytes", Arrays.copyOf(file, length));
            }
            for (int extra : new int[] {1, 4, 8, 4096}) {
                expect(REJECTED, extra + " bytes appended", Arrays.copyOf(file, file.length + extra));
            }
        }
    }

    @Test
    void headerLengthsThatDoNotDescribeTheHeaderAreRejected() throws IOException {
        byte[] file = checkpoint();
        long header = SafetensorsBytes.dataStart(file) - Long.BYTES;
        long[] lengths = {0, 1, 2, 7, 8, header - 8, header - 1, header + 1, header + 8, file.length - 8,
                file.length - 7, SafetensorsHeader.MAX_HEADER_BYTES - 1, SafetensorsHeader.MAX_HEADER_BYTES,
                SafetensorsHeader.MAX_HEADER_BYTES + 1, 1L << 31, 1L << 32, 1L << 40,
                Long.MAX_VALUE, Long.MIN_VALUE, -1, -8, -(long) header};
        for (long length : lengths) {
            expect(REJECTED, "header length " + Long.toUnsignedString(length), SafetensorsBytes.withHeaderLength(file, length));
        }
        String message = expect(REJECTED, "length -1", SafetensorsBytes.withHeaderLength(file, -1)).message();
        assertTrue(message.contains("header length 18446744073709551615 "), "a u64 length is shown unsigned: " + message);
    }

    // ---- random mutations -----------------------------------------------------------------

    /**
     * Half the cases mutate the raw file (length field and data included); the other half
     * mutate only the JSON and frame it again with its true length, so that the mutations
     * get past the length check and reach the parser and the checks behind it.
     */
    @Test
    void seededRandomMutationsAreReadOrRejectedNeverMore() throws IOException {
        Random random = new Random(SEED);
        List<byte[]> valid = validFiles();
        int[] verdicts = new int[Verdict.values().length];
        for (int i = 0; i < RANDOM_CASES; i++) {
            byte[] base = valid.get(random.nextInt(valid.size()));
            boolean raw = random.nextBoolean();
            byte[] mutated = raw ? mutateRaw(random, base)
                    : SafetensorsBytes.frame(mutateHeader(random, SafetensorsBytes.header(base)), mutateData(random, SafetensorsBytes.data(base)));
            String label = "seed " + SEED + " case " + i + (raw ? " (raw)" : " (header)");
            verdicts[probe.probe(label, mutated).verdict().ordinal()]++;
        }
        // both outcomes occur, or the mutations were too weak (or too strong) to mean much
        assertTrue(verdicts[READ.ordinal()] > RANDOM_CASES / 50, "read: " + Arrays.toString(verdicts));
        assertTrue(verdicts[REJECTED.ordinal()] > RANDOM_CASES / 2, "rejected: " + Arrays.toString(verdicts));
    }

    /** Same length: bit flips and byte changes, mostly in the length field and header. */
    private static byte[] mutateRaw(Random random, byte[] file) {
        byte[] copy = file.clone();
        int headerEnd = SafetensorsBytes.dataStart(file);
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = random.nextInt(10) < 8 ? random.nextInt(headerEnd) : random.nextInt(copy.length);
            copy[at] = switch (random.nextInt(3)) {
                case 0 -> (byte) (copy[at] ^ (1 << random.nextInt(8)));
                case 1 -> (byte) random.nextInt(256);
                default -> INTERESTING[random.nextInt(INTERESTING.length)];
            };
        }
        return copy;
    }

    /** Any length: changes, insertions, deletions and copied slices (duplicate keys, nesting). */
    private static byte[] mutateHeader(Random random, byte[] header) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = header.clone();
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = random.nextInt(bytes.length);
            out.reset();
            switch (random.nextInt(5)) {
                case 0 -> bytes[at] = (byte) (bytes[at] ^ (1 << random.nextInt(8)));
                case 1 -> bytes[at] = INTERESTING[random.nextInt(INTERESTING.length)];
                case 2 -> {
                    out.write(bytes, 0, at);
                    out.write(INTERESTING[random.nextInt(INTERESTING.length)]);
                    out.write(bytes, at, bytes.length - at);
                    bytes = out.toByteArray();
                }
                case 3 -> {
                    int cut = 1 + random.nextInt(Math.min(16, bytes.length - at));
                    out.write(bytes, 0, at);
                    out.write(bytes, at + cut, bytes.length - at - cut);
                    bytes = out.toByteArray();
                }
                default -> {
                    int from = random.nextInt(bytes.length);
                    int length = 1 + random.nextInt(Math.min(64, bytes.length - from));
                    out.write(bytes, 0, at);
                    out.write(bytes, from, length);
                    out.write(bytes, at, bytes.length - at);
                    bytes = out.toByteArray();
                }
            }
            if (bytes.length == 0) {
                return bytes;
            }
        }
        return bytes;
    }

    /** Mostly the data as it was (so header mutations can still succeed), sometimes a float more or less. */
    private static byte[] mutateData(Random random, byte[] data) {
        return switch (random.nextInt(8)) {
            case 0 -> Arrays.copyOf(data, data.length + 4);
            case 1 -> Arrays.copyOf(data, Math.max(0, data.length - 4));
            default -> data;
        };
    }

    // ---- hand-made headers ----------------------------------------------------------------

    /** A tensor entry with raw JSON for each field. */
    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    private static String f32(String name, String shape, String offsets) {
        return tensor(name, "\"F32\"", shape, offsets);
    }

    private static byte[] file(String json, int dataBytes) {
        return SafetensorsBytes.frame(json, new byte[dataBytes]);
    }

    @Test
    void dataOffsetsMustTileTheDataExactly() throws IOException {
        expect(READ, "in order", file("{" + f32("a", "[2]", "[0,8]") + "," + f32("b", "[1]", "[8,12]") + "}", 12));
        expect(READ, "out of order", file("{" + f32("b", "[1]", "[8,12]") + "," + f32("a", "[2]", "[0,8]") + "}", 12));
        expect(READ, "empty tensors anywhere", file("{" + f32("e", "[0]", "[4,4]") + "," + f32("a", "[1]", "[0,4]")
                + "," + f32("z", "[3,0]", "[0,0]") + "}", 4));
        expect(REJECTED, "gap", file("{" + f32("a", "[2]", "[0,8]") + "," + f32("b", "[1]", "[9,13]") + "}", 13));
        expect(REJECTED, "gap at start", file("{" + f32("a", "[1]", "[4,8]") + "}", 8));
        expect(REJECTED, "overlap", file("{" + f32("a", "[2]", "[0,8]") + "," + f32("b", "[1]", "[4,8]") + "}", 8));
        expect(REJECTED, "same range twice", file("{" + f32("a", "[1]", "[0,4]") + "," + f32("b", "[1]", "[0,4]") + "}", 8));
        expect(REJECTED, "past the end", file("{" + f32("a", "[2]", "[0,8]") + "}", 4));
        expect(REJECTED, "trailing data", file("{" + f32("a", "[1]", "[0,4]") + "}", 8));
        for (String offsets : List.of("[-4,4]", "[4,0]", "[8,4]", "[0,4611686018427387904]", "[9223372036854775803,9223372036854775807]",
                "[0,18446744073709551616]", "[0,1e3]", "[0.0,4.0]", "[0,4e0]", "[\"0\",\"4\"]", "[0]", "[0,4,8]", "[]",
                "null", "{}", "[null,4]", "[[0],[4]]", "[true,4]", "[0,-0]", "[0,4" + "0".repeat(1200) + "]")) {
            expect(REJECTED, "data_offsets " + offsets, file("{" + f32("a", "[1]", offsets) + "}", 4));
        }
        expect(REJECTED, "no data_offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4));
    }

    @Test
    void aHeaderClaimingGigabytesInATinyFileIsRejectedWithoutAllocating() throws IOException {
        // the ReaderProbe's arena fails the test on any allocation beyond the file's size
        Outcome huge = expect(REJECTED, "4 GB tensor", file("{" + f32("big", "[1000000000]", "[0,4000000000]") + "}", 12));
        assertTrue(huge.message().contains("truncated"), huge.message());
        // a length field is as untrusted as an offset: 100 MB of header claimed, 100 bytes there
        byte[] tiny = file("{" + f32("a", "[1]", "[0,4]") + "}", 4);
        expect(REJECTED, "100 MB header", SafetensorsBytes.withHeaderLength(tiny, SafetensorsHeader.MAX_HEADER_BYTES));
        expect(REJECTED, "terabytes in two tensors", file("{" + f32("a", "[1]", "[0,4]") + ","
                + f32("b", "[250000000000]", "[4,1000000000004]") + "}", 4));
    }

    @Test
    void shapesThatOverflowOrAreNotSizesAreRejected() throws IOException {
        for (String shape : List.of("[2147483647,2147483647,2147483647]", "[2147483647,2147483647,2]",
                "[3037000500,3037000500]", "[4611686018427387904]", "[2147483648]", "[-1]", "[1,-1]", "[2.0]", "[1e0]",
                "[\"1\"]", "[true]", "[null]", "[[1]]", "[{}]", "null", "1", "\"[1]\"", "{}")) {
            expect(REJECTED, "shape " + shape, file("{" + f32("a", shape, "[0,4]") + "}", 4));
        }
        expect(READ, "scalar", file("{" + f32("a", "[]", "[0,4]") + "}", 4));
        expect(READ, "many ones", file("{" + f32("a", "[" + "1,".repeat(1000) + "1]", "[0,4]") + "}", 4));
        expect(READ, "zero times huge", file("{" + f32("a", "[0,2147483647,2147483647]", "[0,0]") + "}", 0));
        expect(REJECTED, "no shape", file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void dtypesOtherThanF32AreRejected() throws IOException {
        for (String dtype : List.of("\"F16\"", "\"BF16\"", "\"F64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"f32\"", "\"F32 \"",
                "\"F32\\n\"", "\"\"", "32", "null", "[\"F32\"]", "{\"F32\":1}")) {
            Outcome outcome = expect(REJECTED, "dtype " + dtype, file("{" + tensor("a", dtype, "[1]", "[0,4]") + "}", 4));
            assertTrue(outcome.message().contains("dtype"), outcome.message());
        }
        expect(REJECTED, "no dtype", file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void duplicateNamesAreRejected() throws IOException {
        expect(REJECTED, "same name", file("{" + f32("a", "[1]", "[0,4]") + "," + f32("a", "[1]", "[4,8]") + "}", 8));
        expect(REJECTED, "same name, escaped", file("{" + f32("a", "[1]", "[0,4]") + "," + f32("\\u0061", "[1]", "[4,8]") + "}", 8));
        expect(REJECTED, "two metadata objects", file("{\"__metadata__\":{},\"__metadata__\":{}}", 0));
        expect(REJECTED, "duplicate metadata key", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0));
        expect(REJECTED, "duplicate field in a tensor", file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}", 4));
    }

    @Test
    void headersThatAreNotUtf8AreRejected() throws IOException {
        byte[][] badNames = {
            {(byte) 0xC3, 0x28},                             // lead byte without its continuation
            {(byte) 0xFF},                                    // never valid
            {(byte) 0x80},                                    // lone continuation byte
            {(byte) 0xC0, (byte) 0xAF},                       // overlong '/'
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},          // UTF-16 surrogate encoded as UTF-8
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0xE2, (byte) 0x82},                       // cut multi-byte sequence
        };
        for (byte[] name : badNames) {
            byte[] header = concat("{\"".getBytes(StandardCharsets.US_ASCII), name,
                    "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.US_ASCII));
            Outcome outcome = expect(REJECTED, "name bytes " + Arrays.toString(name), SafetensorsBytes.frame(header, new byte[4]));
            assertTrue(outcome.message().contains("UTF-8"), outcome.message());
        }
        String json = "{" + f32("a", "[1]", "[0,4]") + "}";
        for (String charset : List.of("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-16")) {
            expect(REJECTED, json + " in " + charset,
                    SafetensorsBytes.frame(json.getBytes(java.nio.charset.Charset.forName(charset)), new byte[4]));
        }
        byte[] bom = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, json.getBytes(StandardCharsets.UTF_8));
        expect(REJECTED, "byte order mark", SafetensorsBytes.frame(bom, new byte[4]));
        expect(READ, "non-ASCII name", file("{" + f32("gewicht.äöü.权重.🙂", "[1]", "[0,4]") + "}", 4));
    }

    @Test
    void deeplyNestedJsonIsRejectedQuickly() throws IOException {
        for (int depth : new int[] {SafetensorsHeader.MAX_NESTING + 1, 1_000, 100_000}) {
            expect(REJECTED, "array depth " + depth, file("{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}", 0));
            expect(REJECTED, "object depth " + depth, file("{\"a\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}", 0));
            expect(REJECTED, "unclosed depth " + depth, file("{\"a\":" + "[".repeat(depth), 0));
            expect(REJECTED, "metadata depth " + depth, file("{\"__metadata__\":{\"k\":" + "[".repeat(depth)
                    + "]".repeat(depth) + "}}", 0));
        }
        expect(REJECTED, "nested shape", file("{" + f32("a", "[[[[[[1]]]]]]", "[0,4]") + "}", 4));
        // the limit holds even where the reader would ignore the value: a field it does not know
        String deep = "[".repeat(SafetensorsHeader.MAX_NESTING) + "]".repeat(SafetensorsHeader.MAX_NESTING);
        expect(REJECTED, "deep unknown field", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                + "\"x\":" + deep + "}}", 4));
        expect(READ, "shallow unknown field", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                + "\"x\":[[]]}}", 4));
    }

    @Test
    void metadataNumbersMustBeFinite() throws IOException {
        Path path = dir.resolve("case.safetensors");
        for (String value : List.of("NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "1e999", "-1e400")) {
            expect(READ, "lr " + value, file("{\"__metadata__\":{\"lr\":\"" + value + "\"}}", 0));
            String message = metadataError(path, "lr", SafetensorsMetadata::finiteDouble);
            assertTrue(message.contains("'lr'") && message.contains("not a finite number"), message);
        }
        for (String value : List.of("0x1p3", " 1", "1 ", "1d", "1f", "", "one", "1.", ".5", "1e", "--1", "1,5")) {
            expect(READ, "lr '" + value + "'", file("{\"__metadata__\":{\"lr\":\"" + value + "\"}}", 0));
            String message = metadataError(path, "lr", SafetensorsMetadata::finiteDouble);
            assertTrue(message.contains("'lr'") && message.contains("not a decimal number"), message);
        }
        for (String value : List.of("0.1", "-3", "1.0E-4", "0", "6.02e23")) {
            expect(READ, "lr " + value, file("{\"__metadata__\":{\"lr\":\"" + value + "\"}}", 0));
            assertEquals(Double.parseDouble(value), SafetensorsMetadata.read(path).finiteDouble("lr"));
        }
        for (String value : List.of("9223372036854775808", "1.0", "1e3", "+1", " 1", "NaN")) {
            expect(READ, "step " + value, file("{\"__metadata__\":{\"step\":\"" + value + "\"}}", 0));
            String message = metadataError(path, "step", SafetensorsMetadata::longValue);
            assertTrue(message.contains("'step'") && message.contains("not a 64-bit integer"), message);
        }
        expect(READ, "step", file("{\"__metadata__\":{\"step\":\"-9223372036854775808\"}}", 0));
        assertEquals(Long.MIN_VALUE, SafetensorsMetadata.read(path).longValue("step"));
        String missing = metadataError(path, "lr", SafetensorsMetadata::finiteDouble);
        assertTrue(missing.contains("'lr' is missing"), missing);
        // not strings at all: JSON NaN is no JSON, and the format's metadata holds only strings
        for (String value : List.of("NaN", "Infinity", "-Infinity", "0.1", "1", "null", "true", "[\"0.1\"]", "{}")) {
            expect(REJECTED, "unquoted lr " + value, file("{\"__metadata__\":{\"lr\":" + value + "}}", 0));
        }
        for (String value : List.of("[]", "\"x\"", "1", "null")) {
            expect(REJECTED, "__metadata__ " + value, file("{\"__metadata__\":" + value + "}", 0));
        }
    }

    private interface Accessor {
        Object get(SafetensorsMetadata metadata, String key) throws SafetensorsFormatException;
    }

    private static String metadataError(Path path, String key, Accessor accessor) throws IOException {
        SafetensorsMetadata metadata = SafetensorsMetadata.read(path);
        try {
            Object value = accessor.get(metadata, key);
            throw new AssertionError(key + " = " + metadata.values().get(key) + " was accepted as " + value);
        } catch (SafetensorsFormatException e) {
            assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void namesWithControlCharactersOrHugeLengthsStayOnOneShortLine() throws IOException {
        for (String name : List.of("a\\nb", "a\\r\\nb", "\\u0000", "\\u001b[31mred", "\\u2028", "x".repeat(100_000))) {
            expect(REJECTED, "bf16 named " + name.substring(0, Math.min(20, name.length())),
                    file("{" + tensor(name, "\"BF16\"", "[1]", "[0,2]") + "}", 2));
            expect(REJECTED, "gap after " + name.substring(0, Math.min(20, name.length())),
                    file("{" + f32(name, "[1]", "[4,8]") + "}", 8));
        }
        expect(REJECTED, "huge dtype", file("{" + tensor("a", "\"" + "F".repeat(100_000) + "\"", "[1]", "[0,4]") + "}", 4));
        expect(REJECTED, "huge string as offset", file("{" + f32("a", "[1]", "[\"" + "9".repeat(100_000) + "\",4]") + "}", 4));
    }

    @Test
    void documentsThatAreNotOneJsonObjectAreRejected() throws IOException {
        for (String json : List.of("[]", "null", "\"x\"", "1", "true", " {}", "\n{}", "{}x", "{} {}", "{}}", "{", "{\"a\"}",
                "{\"a\":}", "{,}", "{'a':1}", "{a:1}", "{\"a\":1,}", "{/*c*/}", "{\"a\":NaN}", "{\"a\":01}", "{\"a\":\"\u0001\"}")) {
            expect(REJECTED, "header " + json, file(json, 0));
        }
        expect(REJECTED, "trailing NUL padding", SafetensorsBytes.frame("{}\0\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII), new byte[0]));
        expect(READ, "empty object", file("{}", 0));
        expect(READ, "whitespace inside and after", SafetensorsBytes.frame("{ \n\t\r}   \n\t".getBytes(StandardCharsets.US_ASCII),
                new byte[0]));
        expect(REJECTED, "empty object with data", file("{}", 4));
        expect(REJECTED, "tensor described by an array", file("{\"a\":[1,2]}", 0));
    }

    // ---- helpers --------------------------------------------------------------------------

    private Outcome expect(Verdict expected, String label, byte[] content) throws IOException {
        Outcome outcome = probe.probe(label, content);
        assertEquals(expected, outcome.verdict(), label + ": " + outcome.message());
        return outcome;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] interesting() {
        byte[] json = "{}[]\":,0123456789-+.eE \\nu".getBytes(StandardCharsets.US_ASCII);
        byte[] odd = {0, 0x7F, (byte) 0x80, (byte) 0xBF, (byte) 0xC0, (byte) 0xED, (byte) 0xF8, (byte) 0xFF};
        return concat(json, odd);
    }
}
