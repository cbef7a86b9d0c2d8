package io.sparsestep.store;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * An output could not be written because its file system is full (ENOSPC). One type and
 * one line for it, whichever step hit the limit (creating the temp file, writing, syncing
 * or renaming), so the CLI can tell the user what to do instead of printing the OS's words
 * for one of those steps.
 */
public final class DiskFullException extends IOException {
    /** strerror(ENOSPC) on Linux and macOS; the JDK passes it through as the message or reason. */
    static final String ENOSPC_TEXT = "No space left on device";

    private final transient Path file;
    private final long bytesNeeded;

    DiskFullException(Path file, long bytesNeeded, IOException cause) {
        super("no space left on device writing " + file + " (" + bytesNeeded + " bytes needed); "
                + "free space or choose another --out", cause);
        this.file = file;
        this.bytesNeeded = bytesNeeded;
    }

    /** The file that was being written (the target, not its temp file). */
    public Path file() {
        return file;
    }

    /** The size of the complete file, which the file system could not hold. */
    public long bytesNeeded() {
        return bytesNeeded;
    }

    /** Whether {@code e}, or an exception it wraps, is the file system saying it is full. */
    public static boolean isNoSpaceLeft(Throwable e) {
        // bounded: a cause chain can be made circular
        Throwable t = e;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            String text = t instanceof FileSystemException fse ? fse.getReason() : t.getMessage();
            if (text != null && text.contains(ENOSPC_TEXT)) {
                return true;
            }
        }
        return false;
    }
}
