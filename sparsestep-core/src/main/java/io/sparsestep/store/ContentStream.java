package io.sparsestep.store;

import java.io.IOException;
import java.io.OutputStream;

/**
 * What {@link AtomicFiles} hands a writer: counts the bytes, lets the writer close "its" stream without
 * closing the channel still to be synced, and, once the disk is full, stops writing but
 * keeps counting, so the writer can finish and the message can give the whole size.
 */
final class ContentStream extends OutputStream {
    private final OutputStream out;
    private long count;
    private IOException diskFull;

    ContentStream(OutputStream out) {
        this.out = out;
    }

    long count() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        count++;
        if (diskFull == null) {
            try {
                out.write(b);
            } catch (IOException e) {
                keepCountingIfFull(e);
            }
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        count += len;
        if (diskFull == null) {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                keepCountingIfFull(e);
            }
        }
    }

    private void keepCountingIfFull(IOException e) throws IOException {
        if (!DiskFullException.isNoSpaceLeft(e)) {
            throw e;
        }
        diskFull = e;
    }

    @Override
    public void flush() throws IOException {
        if (diskFull == null) {
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    /** After the writer returned: everything on its way to the file, or the disk-full failure. */
    void finish() throws IOException {
        if (diskFull != null) {
            throw diskFull;
        }
        out.flush();
    }
}
