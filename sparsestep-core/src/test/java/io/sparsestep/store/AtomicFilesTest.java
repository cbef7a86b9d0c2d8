package io.sparsestep.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    // ---- a full disk ----------------------------------------------------------------------

    private static final String ENOSPC = "No space left on device";

    @Test
    void aFullDiskIsOneClearErrorAndKeepsTheOldFile() throws IOException {
        Path target = dir.resolve("weights.safetensors");
        Files.writeString(target, "previous run");
        DiskFullException e = assertThrows(DiskFullException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100]);
            throw new IOException(ENOSPC); // what FileChannel.write says on ENOSPC
        }));
        assertEquals("no space left on device writing " + target + " (100 bytes needed); free space or choose another --out",
                e.getMessage());
        assertEquals(target, e.file());
        assertEquals(100, e.bytesNeeded());
        assertEquals("previous run", Files.readString(target));
        assertEquals(List.of("weights.safetensors"), namesIn(dir), "the temp file is gone, its space freed");
    }

    @Test
    void noSpaceIsRecognisedInEveryShapeTheJdkGivesIt() {
        assertTrue(DiskFullException.isNoSpaceLeft(new IOException(ENOSPC)));
        assertTrue(DiskFullException.isNoSpaceLeft(new FileSystemException("/out/.x.tmp-1", null, ENOSPC)));
        assertTrue(DiskFullException.isNoSpaceLeft(new IOException("flush failed", new IOException(ENOSPC))));
        assertFalse(DiskFullException.isNoSpaceLeft(new IOException("Input/output error")));
        // a path that happens to spell it is not the reason
        assertFalse(DiskFullException.isNoSpaceLeft(new FileSystemException("/" + ENOSPC + "/x", null, "Permission denied")));
    }

    /** An output stream that takes {@code room} bytes, then fails as a full disk does. */
    private static final class FullDisk extends OutputStream {
        private final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        private final int room;

        FullDisk(int room) {
            this.room = room;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (taken.size() + len > room) {
                throw new IOException(ENOSPC);
            }
            taken.write(b, off, len);
        }
    }

    /** The writer never sees the failure: it finishes, so the message can give the whole size. */
    @Test
    void theStreamCountsOnAfterTheDiskFilledAndFailsAtTheEnd() throws IOException {
        FullDisk disk = new FullDisk(10);
        ContentStream out = new ContentStream(disk);
        out.write(new byte[8]);
        out.write(new byte[8]);  // does not fit
        out.write('x');
        out.write(new byte[1000]);
        out.close();             // a writer may close "its" stream
        assertEquals(1017, out.count());
        assertEquals(8, disk.taken.size(), "nothing more is written once the disk said no");
        IOException failure = assertThrows(IOException.class, out::finish);
        assertEquals(ENOSPC, failure.getMessage());
    }

    @Test
    void otherWriteFailuresReachTheWriterAtOnce() {
        ContentStream out = new ContentStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Input/output error");
            }
        });
        assertThrows(IOException.class, () -> out.write('x'));
    }

    // ---- durability -----------------------------------------------------------------------

    /** Records the syncs and what the disk looked like at each. */
    private final class RecordingSync implements FileSync {
        final List<String> events = new ArrayList<>();
        final Path target;

        RecordingSync(Path target) {
            this.target = target;
        }

        @Override
        public void file(FileChannel channel) throws IOException {
            events.add("file " + channel.size() + " bytes, target " + Files.readString(target) + ", entries " + namesIn(dir).size());
            FileSync.DISK.file(channel);
        }

        @Override
        public void directory(Path synced) throws IOException {
            events.add("directory " + dir.relativize(synced) + ", target " + Files.readString(target) + ", entries " + namesIn(dir));
            FileSync.DISK.directory(synced);
        }
    }

    @Test
    void theTempFileIsSyncedBeforeTheRenameAndTheDirectoryAfterIt() throws IOException {
        Path target = dir.resolve("summary.json");
        Files.writeString(target, "old");
        RecordingSync sync = new RecordingSync(target);
        AtomicFiles.write(target, out -> out.write("new content".getBytes(StandardCharsets.UTF_8)), sync);
        assertEquals(List.of(
                "file 11 bytes, target old, entries 2",           // all data in the temp file, old target untouched
                "directory , target new content, entries [summary.json]"), // renamed, then the directory synced
                sync.events);
    }

    @Test
    void theRealDirectorySyncWorksHere() throws IOException {
        FileSync.DISK.directory(dir);
    }

    /**
     * Once renamed, the temp file's name is free for another writer: a failure after the
     * rename (the directory sync) must not delete whatever has that name by then.
     */
    @Test
    void aFailureAfterTheRenameDeletesNoOneElsesFile() throws IOException {
        Path target = dir.resolve("metrics.csv");
        List<Path> temps = new ArrayList<>();
        FileSync sync = new FileSync() {
            @Override
            public void file(FileChannel channel) throws IOException {
                temps.addAll(namesIn(dir).stream().map(dir::resolve).toList());
            }

            @Override
            public void directory(Path synced) throws IOException {
                Files.writeString(temps.getFirst(), "another writer's temp file");
                throw new IOException("Input/output error");
            }
        };
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> out.write('1'), sync));
        assertEquals(1, temps.size(), temps.toString());
        assertEquals("another writer's temp file", Files.readString(temps.getFirst()));
        assertEquals("1", Files.readString(target));
    }
}
