package io.sparsestep.store;

import java.io.IOException;
import java.io.OutputStream;

/** Produces the whole content of one output file; handed to {@link AtomicFiles#write}. */
@FunctionalInterface
public interface IoWriter {
    /**
     * Writes the complete file content to {@code out}. The stream is buffered; closing it
     * is allowed but not needed, {@link AtomicFiles} finishes the file.
     */
    void writeTo(OutputStream out) throws IOException;
}
