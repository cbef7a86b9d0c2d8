package io.sparsestep.store;

import java.io.BufferedOutputStream;
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
 * Replaces a file in one step, so that a run killed at any moment (or a machine that loses
 * power) leaves either the old or the new file, never half of one and never an empty one.
 * Content goes to a hidden temp file next to the target ({@code .name.tmp-XXXXXXXX}, same
 * directory so the rename cannot cross file systems), is synced to the disk, renamed over
 * the target, and then the directory is synced so the rename is on the disk too.
 */
public final class AtomicFiles {
    private static final int BUFFER_BYTES = 1 << 16;
    private static final int NAME_ATTEMPTS = 100;

    private AtomicFiles() {}

    /**
     * Writes {@code target} with the content produced by {@code writer}. Missing parent
     * directories are created. If the writer (or anything else) throws, the temp file is
     * deleted, the exception propagates and {@code target} keeps its previous content.
     *
     * @throws DiskFullException when the file system is full, at whichever step; it names
     *     {@code target} and the size of its complete content
     */
    public static void write(Path target, IoWriter writer) throws IOException {
        write(target, writer, FileSync.DISK);
    }

    static void write(Path target, IoWriter writer, FileSync sync) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = null;
        ContentStream out = null;
        try {
            Files.createDirectories(dir);
            temp = createTemp(dir, absolute.getFileName().toString());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                out = new ContentStream(new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES));
                writer.writeTo(out);
                out.finish();
                sync.file(channel);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // renamed: from here on that name may be another writer's temp file, not ours to delete
            temp = null;
            sync.directory(dir);
        } catch (IOException | RuntimeException | Error e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof IOException io && DiskFullException.isNoSpaceLeft(io)) {
                throw new DiskFullException(target, contentBytes(out, writer, io), io);
            }
            throw e;
        }
    }

    /**
     * The size of the complete content, for the disk-full message. The writer runs once
     * in every case: into the temp file (which counts on after the disk filled), or, when
     * the disk was full before a temp file existed, into a counter here.
     */
    private static long contentBytes(ContentStream out, IoWriter writer, IOException failure) {
        if (out != null) {
            return out.count();
        }
        ContentStream counter = new ContentStream(OutputStream.nullOutputStream());
        try {
            writer.writeTo(counter);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        return counter.count();
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
}
