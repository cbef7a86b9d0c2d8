package io.sparsestep.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The two flushes that make {@link AtomicFiles} durable: the temp file's data before the
 * rename (else the rename can reach the disk first, and a crash leaves an empty file under
 * the final name), and the directory after it (else the rename itself can be lost). An
 * interface so a test can see that both happen, in that order.
 */
interface FileSync {
    /** Blocks until everything written to {@code channel} is on the disk. */
    void file(FileChannel channel) throws IOException;

    /** Blocks until the entries of {@code dir} (a rename in it) are on the disk. */
    void directory(Path dir) throws IOException;

    FileSync DISK = new FileSync() {
        /** Windows cannot open a directory as a file, and NTFS journals renames anyway. */
        private static final boolean WINDOWS =
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

        @Override
        public void file(FileChannel channel) throws IOException {
            channel.force(true);
        }

        @Override
        public void directory(Path dir) throws IOException {
            if (WINDOWS) {
                return;
            }
            try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                channel.force(true);
            }
        }
    };
}
