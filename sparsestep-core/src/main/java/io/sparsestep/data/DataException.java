package io.sparsestep.data;

import java.nio.file.Path;

/**
 * A dataset could not be read: a missing, truncated or malformed file, or no data directory.
 * The message is one line that names the file, the problem and the fix, so the CLI can print
 * it as is (and exit with code 2) instead of a stack trace.
 */
public final class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code "<file>: <problem> (<fix>)"}, the shape every file error takes. */
    static DataException inFile(Path file, String problem, String fix) {
        return new DataException(file + ": " + problem + " (" + fix + ")");
    }

    static DataException inFile(Path file, String problem, String fix, Throwable cause) {
        return new DataException(file + ": " + problem + " (" + fix + ")", cause);
    }
}
