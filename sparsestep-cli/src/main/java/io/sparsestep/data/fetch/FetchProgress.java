package io.sparsestep.data.fetch;

/** What a fetch tells its user: a line per event, and the bytes of each download as they arrive. */
public interface FetchProgress {
    void line(String text);

    /** A download of {@code total} bytes starts (or resumes with {@code already} of them on disk). */
    default void start(String name, long total, long already) {}

    default void advance(long bytes) {}

    default void finish() {}

    /** Lines only, no bar (tests; not a terminal). */
    static FetchProgress lines(java.io.PrintStream out) {
        return out::println;
    }
}
