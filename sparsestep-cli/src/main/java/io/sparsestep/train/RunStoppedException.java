package io.sparsestep.train;

/**
 * A run ended by Ctrl-C or SIGTERM after a finished step: says where the last complete
 * checkpoint is and how to continue. The CLI prints the message and exits 130 or 143.
 */
public final class RunStoppedException extends RuntimeException {
    private final int exitCode;

    RunStoppedException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() { return exitCode; }
}
