package io.sparsestep.train.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class OutputFolderTest {
    @TempDir
    Path dir;

    /** The exceptions a permission or file-system problem raises, worded (these cannot be provoked as root). */
    @Test
    void reasonsAreWords() {
        Path out = dir.resolve("out");
        assertEquals("permission denied", OutputFolder.reason(out, new AccessDeniedException(out.toString())));
        assertEquals("permission denied", OutputFolder.reason(out,
                new AccessDeniedException(out.resolve(".sparsestep-probe-1.tmp").toString())), "the probe file is noise");
        assertEquals("permission denied on " + dir, OutputFolder.reason(out, new AccessDeniedException(dir.toString())));
        assertEquals("exists and is not a directory", OutputFolder.reason(out, new FileAlreadyExistsException(out.toString())));
        assertEquals("read-only file system", OutputFolder.reason(out, new FileSystemException(out.toString(), null, "Read-only file system")));
        assertEquals("no space left on device", OutputFolder.reason(out, new IOException("no space left on device")));
        assertEquals("no such file or directory", OutputFolder.reason(out, new NoSuchFileException(out.toString())),
                "what mkdir in /proc says, not the bare path");
    }

    @Test
    void checkLeavesAnExistingFolderAsItWas() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "x");
        OutputFolder.checkUsable(dir);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("notes.txt")), files.toList(), "probe file left behind");
        }
    }

    @Test
    void checkRemovesTheFolderItCreatedButNotADanglingLink() throws Exception {
        OutputFolder.checkUsable(dir.resolve("a/b/c"));
        assertFalse(Files.exists(dir.resolve("a/b/c")), "the probed folder itself is removed");
        // its parents stay: a run started beside this one may be creating its own folder there
        assertTrue(Files.isDirectory(dir.resolve("a/b")));

        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("nowhere"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> OutputFolder.checkUsable(link.resolve("run")));
        assertTrue(e.getMessage().contains(link + " exists and is not a directory"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link), "the user's link was removed");
    }

    @Test
    void clearRemovesOnlyTheNamedFilesAndNoFolders() throws Exception {
        Files.writeString(dir.resolve("summary.json"), "old");
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Files.createDirectory(dir.resolve("chart.png"));
        OutputFolder.clearPrevious(dir, List.of("summary.json", "chart.png", "metrics.csv"));
        assertFalse(Files.exists(dir.resolve("summary.json")));
        assertTrue(Files.exists(dir.resolve("notes.txt")));
        assertTrue(Files.isDirectory(dir.resolve("chart.png")));
        OutputFolder.clearPrevious(dir.resolve("new"), List.of("summary.json"));
        assertTrue(Files.isDirectory(dir.resolve("new")), "the folder is created for the run");
    }
}
