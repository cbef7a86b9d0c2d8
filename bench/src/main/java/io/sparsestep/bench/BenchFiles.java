package io.sparsestep.bench;

import io.sparsestep.train.io.OutputFolder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Result files appear whole or not at all: written to a temporary file in the same directory, then renamed. */
final class BenchFiles {
    private BenchFiles() {}

    /**
     * Creates {@code dir} if needed and writes and deletes a probe file in it, so that an
     * output folder that cannot take the results is reported before the run rather than
     * after it.
     *
     * @throws IllegalArgumentException naming the folder when either step fails
     */
    static void requireWritableDir(Path dir) {
        Path abs = dir.toAbsolutePath();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + ": cannot create the folder (" + OutputFolder.reason(abs, e)
                    + "); pass --out a writable folder", e);
        }
        Path probe = abs.resolve(".sparsestep-write-probe." + ProcessHandle.current().pid() + "." + System.nanoTime());
        try {
            Files.write(probe, new byte[] {0}, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + ": folder is not writable (" + OutputFolder.reason(abs, e)
                    + "); pass --out a writable folder", e);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe is harmless; the write's outcome is what matters
            }
        }
    }


    static void writeAtomically(Path target, byte[] content) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // not Files.createTempFile: that makes the file owner-only, and results are for sharing
            tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
            Files.write(tmp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage() + "; check that --out is a writable directory", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }
}
