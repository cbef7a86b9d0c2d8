package io.sparsestep.train.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file in one step, so that a run killed at any moment leaves either the old
 * or the new file, never half of one. Content goes to a hidden temp file next to the
 * target ({@code .name.tmp-XXXXXXXX}, same directory so the rename cannot cross file
 * systems), is flushed to disk, then renamed over the target.
 */
public final class AtomicFiles {
    private static final int BUFFER_BYTES = 1 << 16;
    private static final int NAME_ATTEMPTS = 100;

    private AtomicFiles() {}

    /**
     * Writes {@code target} with the content produced by {@code writer}. Missing parent
     * directories are created. If the writer (or anything else) throws, the temp file is
     * deleted, the exception propagates and {@code target} keeps its previous content.
     */
    public static void write(Path target, IoWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        Path temp = createTemp(dir, absolute.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                BufferedOutputStream buffered =
                        new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
                writer.writeTo(new KeepOpen(buffered));
                buffered.flush();
                // Without this the rename can reach the disk before the data does, and a
                // power loss would leave an empty target.
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates the temp file with CREATE_NEW rather than Files.createTempFile, whose
     * owner-only permissions would otherwise end up on the published output.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
            Path temp = dir.resolve("." + name + ".tmp-" + suffix);
            try {
                Files.createFile(temp);
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= NAME_ATTEMPTS) {
                    throw new IOException("cannot create a temp file for " + name + " in " + dir
                            + " after " + NAME_ATTEMPTS + " attempts; remove stale .tmp- files there", e);
                }
            }
        }
    }

    /** Lets a writer close "its" stream without closing the channel we still have to sync. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
