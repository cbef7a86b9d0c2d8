package io.sparsestep.train.compare;

import io.sparsestep.train.RunConfig;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.masks.RunMask;

/**
 * What became of one method in a comparison: its run (summary and mask, read back from its
 * weights) or, for a failed one, the one-line reason and the exception behind it.
 */
public record MethodOutcome(RunConfig config, String label, Status status, RunSummary summary, RunMask mask, String failure,
                            RuntimeException error) {
    public enum Status {
        TRAINED("trained"),
        RESUMED("resumed from its checkpoint"),
        KEPT("finished earlier, kept"),
        FAILED("failed");

        private final String words;

        Status(String words) { this.words = words; }

        public String words() { return words; }
    }

    public MethodOutcome {
        if ((status == Status.FAILED) != (summary == null)) {
            throw new IllegalArgumentException(config.optimizer() + ": a failed method has a reason and no summary, a finished one a summary");
        }
    }

    static MethodOutcome finished(RunConfig config, String label, Status status, RunSummary summary, RunMask mask) {
        return new MethodOutcome(config, label, status, summary, mask, null, null);
    }

    static MethodOutcome failed(RunConfig config, String label, RuntimeException error) {
        return new MethodOutcome(config, label, Status.FAILED, null, null, reason(error), error);
    }

    /** The method id: "grda", "gsm", ... */
    public String method() { return config.optimizer(); }

    public boolean finished() { return status != Status.FAILED; }

    /** The first line of the exception's message, or its class where it has none. */
    static String reason(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }
}
