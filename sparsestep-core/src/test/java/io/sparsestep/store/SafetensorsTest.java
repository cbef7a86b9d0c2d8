package io.sparsestep.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** "a" = [1, -2] (shape [2]) and "b" = [[0.5]] (shape [1,1]), metadata format=pt. */
    private static LinkedHashMap<String, FloatTensorData> tiny(Arena arena) {
        LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
        tensors.put("a", new FloatTensorData(new int[] {2}, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, -2f)));
        tensors.put("b", new FloatTensorData(new int[] {1, 1}, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.5f)));
        return tensors;
    }

    /** The file {@link #tiny} must become, spelled out byte by byte from the format description. */
    private static byte[] tinyGoldenBytes() {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}";
        assertEquals(141, json.length());
        ByteArrayOutputStream golden = new ByteArrayOutputStream();
        // header length 144 = 141 bytes of JSON + 3 spaces, as 8 little-endian bytes
        golden.writeBytes(new byte[] {(byte) 0x90, 0, 0, 0, 0, 0, 0, 0});
        golden.writeBytes((json + "   ").getBytes(StandardCharsets.US_ASCII));
        golden.writeBytes(new byte[] {
            0x00, 0x00, (byte) 0x80, 0x3F,       // 1.0f  = 0x3F800000
            0x00, 0x00, 0x00, (byte) 0xC0,       // -2.0f = 0xC0000000
            0x00, 0x00, 0x00, 0x3F});            // 0.5f  = 0x3F000000
        return golden.toByteArray();
    }

    /** A file with the given header text (padded here) and data, for malformed inputs. */
    private Path handMade(String name, String json, byte[] data) throws IOException {
        return Files.write(dir.resolve(name), SafetensorsBytes.frame(json, data));
    }

    private static float[] floats(FloatTensorData tensor) {
        return tensor.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    private static IOException readError(Path file) {
        IOException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (Arena arena = Arena.ofConfined()) {
                Safetensors.read(file, arena);
            }
        });
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void writesExactlyTheGoldenBytes() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Safetensors.write(file, tiny(arena), Map.of("format", "pt"));
        }
        assertArrayEquals(tinyGoldenBytes(), Files.readAllBytes(file));
    }

    @Test
    void readsTheGoldenBytes() throws IOException {
        Path file = dir.resolve("golden.safetensors");
        Files.write(file, tinyGoldenBytes());
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> read = Safetensors.read(file, arena);
            assertEquals(List.of("a", "b"), List.copyOf(read.keySet()));
            assertArrayEquals(new int[] {2}, read.get("a").shape());
            assertArrayEquals(new float[] {1f, -2f}, floats(read.get("a")));
            assertArrayEquals(new int[] {1, 1}, read.get("b").shape());
            assertArrayEquals(new float[] {0.5f}, floats(read.get("b")));
        }
        assertEquals(Map.of("format", "pt"), Safetensors.readMetadata(file));
    }

    @Test
    void roundTripKeepsNamesOrderShapesAndValues() throws IOException {
        Random random = new Random(42);
        float[] big = new float[300_000]; // 1.2 MB: more than one write chunk
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) random.nextGaussian();
        }
        big[7] = Float.NaN;
        big[8] = -0.0f;
        big[9] = Float.MIN_VALUE;
        Path file = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
            tensors.put("fc2.weight", new FloatTensorData(new int[] {600, 500}, MemorySegment.ofArray(big)));
            tensors.put("scalar", new FloatTensorData(new int[] {}, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 3.5f)));
            tensors.put("empty", new FloatTensorData(new int[] {0, 3}, arena.allocate(0)));
            tensors.put("conv1.bias", new FloatTensorData(new int[] {3}, arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f, 3f)));
            Safetensors.write(file, tensors, Map.of());

            LinkedHashMap<String, FloatTensorData> read = Safetensors.read(file, arena);
            assertEquals(List.of("fc2.weight", "scalar", "empty", "conv1.bias"), List.copyOf(read.keySet()));
            for (String name : tensors.keySet()) {
                assertArrayEquals(tensors.get(name).shape(), read.get(name).shape(), name);
                // bit patterns, so NaN and -0.0 count too
                int[] expected = tensors.get(name).data().toArray(ValueLayout.JAVA_INT_UNALIGNED);
                int[] actual = read.get(name).data().toArray(ValueLayout.JAVA_INT);
                assertArrayEquals(expected, actual, name);
            }
            assertEquals(0, read.get("fc2.weight").data().address() % Float.BYTES);
        }
        assertEquals(Map.of(), Safetensors.readMetadata(file));
        assertEquals(0, (Files.size(file) - 8 - 4L * (300_000 + 1 + 3)) % 8, "header not padded to 8");
    }

    @Test
    void truncatedDataIsAClearError() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        byte[] golden = tinyGoldenBytes();
        Files.write(file, Arrays.copyOf(golden, golden.length - 4));
        IOException e = readError(file);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void fileCutInsideTheHeaderIsAClearError() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        Files.write(file, Arrays.copyOf(tinyGoldenBytes(), 50));
        IOException e = readError(file);
        assertTrue(e.getMessage().contains("header length 144"), e.getMessage());
    }

    @Test
    void tooShortOrForeignFilesAreClearErrors() throws IOException {
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[3]);
        assertTrue(readError(empty).getMessage().contains("too short"));
        Path text = dir.resolve("notes.safetensors");
        Files.writeString(text, "this is a text file, not a checkpoint at all");
        readError(text);
    }

    @Test
    void offsetsThatDoNotTileTheDataAreRejected() throws IOException {
        byte[] eightBytes = new byte[8];
        Path overlap = handMade("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eightBytes);
        assertTrue(readError(overlap).getMessage().contains("overlap"));
        Path wrongSize = handMade("size.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eightBytes);
        assertTrue(readError(wrongSize).getMessage().contains("'a'"));
        Path trailing = handMade("trailing.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eightBytes);
        assertTrue(readError(trailing).getMessage().contains("trailing"));
    }

    @Test
    void otherDtypesAndBadJsonAreRejected() throws IOException {
        Path bf16 = handMade("bf16.safetensors",
                "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        assertTrue(readError(bf16).getMessage().contains("BF16"));
        Path broken = handMade("broken.safetensors", "{\"a\":{\"dtype\":", new byte[0]);
        assertTrue(readError(broken).getMessage().contains("JSON"));
        Path duplicate = handMade("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        readError(duplicate);
        Path negative = handMade("neg.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]);
        readError(negative);
    }

    @Test
    void reservedNameAndMismatchedSizeAreRejectedOnWrite() {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
            tensors.put("__metadata__", new FloatTensorData(new int[] {1}, arena.allocate(4)));
            assertThrows(IllegalArgumentException.class,
                    () -> Safetensors.write(dir.resolve("x.safetensors"), tensors, Map.of()));
            assertThrows(IllegalArgumentException.class, () -> new FloatTensorData(new int[] {2, 2}, arena.allocate(12)));
        }
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }
}
