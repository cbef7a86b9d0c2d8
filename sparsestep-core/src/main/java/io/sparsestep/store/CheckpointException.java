package io.sparsestep.store;

/** A checkpoint or weights file that cannot be used: one line naming the file, what is wrong and the fix (exit 2). */
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) { super(message); }

    public CheckpointException(String message, Throwable cause) { super(message, cause); }
}
