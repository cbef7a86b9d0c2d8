package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per folder: the lock blocks a second holder, in this JVM or another, and dies with its holder. */
class FolderLockTest {
    @TempDir
    Path dir;

    private static String ownPid() {
        return Long.toString(ProcessHandle.current().pid());
    }

    @Test
    void aSecondLockOnTheFolderFailsNamingTheFolderTheHolderAndTheFix() {
        Path out = dir.resolve("run");
        try (FolderLock first = FolderLock.acquire(out)) {
            assertEquals(out.toAbsolutePath(), first.dir());
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> FolderLock.acquire(out));
            assertEquals("output folder " + out + " is in use by another sparsestep run (pid " + ownPid()
                    + "); wait for that run to end, or choose another --out", e.getMessage());
        }
    }

    @Test
    void theLockFileHoldsTheHoldersPidAndTheLockEndsWithClose() throws Exception {
        try (FolderLock _ = FolderLock.acquire(dir)) {
            assertEquals(ownPid() + "\n", Files.readString(dir.resolve(FolderLock.FILE_NAME)));
        }
        // released: the next run gets it (in this JVM an unreleased lock would still be "in use")
        try (FolderLock _ = FolderLock.acquire(dir)) {
            assertTrue(Files.exists(dir.resolve(FolderLock.FILE_NAME)));
        }
    }

    @Test
    void aLockFileLeftByADeadProcessDoesNotBlock() throws Exception {
        Files.writeString(dir.resolve(FolderLock.FILE_NAME), "4194305\n"); // above Linux's pid_max
        try (FolderLock _ = FolderLock.acquire(dir)) {
            assertEquals(ownPid() + "\n", Files.readString(dir.resolve(FolderLock.FILE_NAME)), "the stale pid is replaced");
        }
    }

    /** The real case: two processes. The OS lock, not the file, decides, and it dies with its process. */
    @Test
    void aLockHeldByAnotherProcessBlocksUntilThatProcessDies() throws Exception {
        Path out = dir.resolve("shared");
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                FolderLockHolder.class.getName(), out.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", said.readLine(), "the holder process did not take the lock");
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> FolderLock.acquire(out));
            assertTrue(e.getMessage().contains("in use by another sparsestep run (pid " + holder.pid() + ")"), e.getMessage());
        } finally {
            holder.destroyForcibly();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(holder.pid() + "\n", Files.readString(out.resolve(FolderLock.FILE_NAME)), "its lock file stays behind");
        try (FolderLock _ = FolderLock.acquire(out)) {
            assertEquals(ownPid() + "\n", Files.readString(out.resolve(FolderLock.FILE_NAME)));
        }
    }

    @Test
    void aFolderTheLockCreatedGoesWithItWhenNothingWasWrittenThere() throws Exception {
        Path fresh = dir.resolve("a/fresh");
        FolderLock.acquire(fresh).close();
        assertFalse(Files.exists(fresh), "a run that failed before writing leaves no folder");
        assertTrue(Files.isDirectory(dir.resolve("a")), "parents stay: other runs may be creating folders there");

        Path used = dir.resolve("used");
        try (FolderLock _ = FolderLock.acquire(used)) {
            Files.writeString(used.resolve("metrics.csv"), "epoch\n");
        }
        try (var files = Files.list(used)) {
            assertEquals(List.of(FolderLock.FILE_NAME, "metrics.csv"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "a folder with outputs keeps them");
        }

        FolderLock.acquire(dir).close();
        assertTrue(Files.isDirectory(dir), "a folder that was there before stays");
    }

    @Test
    void anOutThatCannotHoldALockIsOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> FolderLock.acquire(file));
        assertTrue(e.getMessage().startsWith("cannot lock output folder " + file + ": "), e.getMessage());
        assertTrue(e.getMessage().endsWith("choose another --out"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
