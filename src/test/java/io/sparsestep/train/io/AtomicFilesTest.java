package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> namesIn(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesContentAndLeavesOnlyTheTarget() throws IOException {
        Path target = dir.resolve("out.txt");
        AtomicFiles.write(target, out -> out.write("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals("hello", Files.readString(target));
        assertEquals(List.of("out.txt"), namesIn(dir));
    }

    @Test
    void writesThroughAHiddenTempFileNextToTheTarget() throws IOException {
        Path target = dir.resolve("metrics.csv");
        AtomicFiles.write(target, out -> {
            out.write('x');
            List<String> during = namesIn(dir);
            assertEquals(1, during.size(), "only the temp file exists while writing: " + during);
            assertTrue(during.get(0).matches("\\.metrics\\.csv\\.tmp-[0-9a-f]{8}"), during.get(0));
        });
        assertEquals(List.of("metrics.csv"), namesIn(dir));
    }

    @Test
    void replacesAnExistingTarget() throws IOException {
        Path target = dir.resolve("out.txt");
        Files.writeString(target, "a much longer old content");
        AtomicFiles.write(target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("out.txt"), namesIn(dir));
    }

    @Test
    void failingWriterKeepsOldTargetAndDeletesTemp() throws IOException {
        Path target = dir.resolve("out.txt");
        Files.writeString(target, "old");
        IOException failure = new IOException("disk on fire");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("partial new content".getBytes(StandardCharsets.UTF_8));
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.txt"), namesIn(dir));
    }

    @Test
    void uncheckedExceptionAlsoKeepsOldTargetAndDeletesTemp() throws IOException {
        Path target = dir.resolve("out.txt");
        Files.writeString(target, "old");
        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]); // more than the buffer, so bytes reached the temp file
            throw new UncheckedIOException(new IOException("boom"));
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.txt"), namesIn(dir));
    }

    @Test
    void failingWriterWithoutPreviousTargetCreatesNothing() throws IOException {
        Path target = dir.resolve("out.txt");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            throw new IllegalStateException("no");
        }));
        assertFalse(Files.exists(target));
        assertEquals(List.of(), namesIn(dir));
    }

    @Test
    void writerMayCloseTheStream() throws IOException {
        Path target = dir.resolve("out.bin");
        byte[] content = new byte[200_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31);
        }
        AtomicFiles.write(target, out -> {
            out.write(content);
            out.close();
        });
        assertArrayEquals(content, Files.readAllBytes(target));
    }

    @Test
    void createsMissingParentDirectories() throws IOException {
        Path target = dir.resolve("runs/gRDA/summary.json");
        AtomicFiles.write(target, out -> out.write('{'));
        assertEquals("{", Files.readString(target));
    }
}
