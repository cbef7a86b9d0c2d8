package io.sparsestep.train.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * One run per output folder: an exclusive OS lock on {@code <folder>/.lock}, held from before
 * the data is loaded until the run ends, with the holder's pid written in the file. A second
 * run on the folder fails at once with one line naming the folder, the holder's pid and the
 * fix, before it loads or deletes anything.
 *
 * <p>The lock is the OS's ({@link FileChannel#tryLock}, fcntl on Linux), not the file: it dies
 * with its process, so a {@code .lock} left by a killed run does not block the next one. The
 * file itself stays after a normal run (deleting it while others may have it open would let
 * two runs lock two different files of one name), except that a folder this lock created and
 * in which nothing else was written, a run that failed before training, is removed with it, as
 * {@link OutputFolder#checkUsable} does for its probe.
 */
public final class FolderLock implements AutoCloseable {
    public static final String FILE_NAME = ".lock";
    /** Attempts when the lock file vanishes between opening and locking it (a failed run removing its new folder). */
    private static final int ATTEMPTS = 3;

    private final Path dir;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean createdDir;

    private FolderLock(Path dir, Path file, FileChannel channel, FileLock lock, boolean createdDir) {
        this.dir = dir;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.createdDir = createdDir;
    }

    /**
     * Creates {@code dir} if needed and locks it for this run.
     *
     * @throws UncheckedIOException with a one-line message when another run holds the folder
     *                              ("... in use by another sparsestep run (pid N) ...") or it cannot be locked
     */
    public static FolderLock acquire(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        for (int attempt = 1; ; attempt++) {
            boolean created = !Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
            Path file = abs.resolve(FILE_NAME);
            FileChannel channel = null;
            try {
                Files.createDirectories(abs);
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = tryLock(channel);
                if (lock == null) {
                    channel.close();
                    throw inUse(dir, file);
                }
                if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && attempt < ATTEMPTS) {
                    // the file was removed after we opened it: our lock is on a name no one else sees
                    channel.close();
                    continue;
                }
                writePid(channel);
                return new FolderLock(abs, file, channel, lock, created);
            } catch (IOException e) {
                closeQuietly(channel);
                throw new UncheckedIOException("cannot lock output folder " + dir + ": " + OutputFolder.reason(file, e)
                        + "; choose another --out", e);
            }
        }
    }

    /** null when held elsewhere: by another process, or by another run of this JVM (which Java reports differently). */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }

    private static void writePid(FileChannel channel) throws IOException {
        channel.truncate(0);
        ByteBuffer pid = ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        while (pid.hasRemaining()) channel.write(pid, pid.position());
    }

    private static UncheckedIOException inUse(Path dir, Path file) {
        String holder = holderPid(file);
        String who = holder == null ? "another sparsestep run" : "another sparsestep run (pid " + holder + ")";
        String message = "output folder " + dir + " is in use by " + who
                + "; wait for that run to end, or choose another --out";
        return new UncheckedIOException(message, new FileSystemException(file.toString(), null, "locked by " + who));
    }

    /** The pid the holder wrote, or null if it has not yet (it writes right after locking) or the file is unreadable. */
    private static String holderPid(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return text.matches("[0-9]{1,19}") ? text : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The folder this lock holds. */
    public Path dir() {
        return dir;
    }

    /**
     * Releases the lock. If this lock created the folder and nothing but the lock file is in it
     * (the run failed before writing), the folder goes too.
     */
    @Override
    public void close() {
        try {
            if (createdDir && holdsOnlyTheLockFile()) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        } catch (IOException ignored) {
            // something else was written meanwhile: it is no longer ours to remove
        } finally {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel below releases it as well
            }
            closeQuietly(channel);
        }
    }

    private boolean holdsOnlyTheLockFile() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.allMatch(file::equals);
        } catch (NoSuchFileException gone) {
            return false;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written through it that could be lost
        }
    }
}
