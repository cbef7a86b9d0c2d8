package io.sparsestep.backend;

import java.util.Locale;

/** A buffer did not fit: says which buffer, how big, what is in use, and what to change. */
public final class BackendOutOfMemoryException extends RuntimeException {
    public BackendOutOfMemoryException(String backend, String label, long bytes, long bytesInUse, Throwable cause) {
        super(String.format(Locale.ROOT,
                "out of %s memory allocating '%s' (%s; %s already in use by sparsestep): lower --batch-size or use a smaller model%s",
                backend, label, human(bytes), human(bytesInUse), backend.equals("cpu") ? CPU_LIMIT : ""), cause);
    }

    /**
     * The CPU backend's buffers come from Arena.allocate: native memory that neither the
     * heap limit (-Xmx) nor -XX:MaxDirectMemorySize bounds (checked on JDK 25), so the only
     * limit is the host's memory, and raising a JVM flag would not help.
     */
    static final String CPU_LIMIT = ", or free host memory (CPU buffers are native memory outside the Java heap; "
            + "-Xmx and -XX:MaxDirectMemorySize do not limit them)";

    static String human(long bytes) {
        if (bytes < 1 << 20) return bytes + " B";
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
