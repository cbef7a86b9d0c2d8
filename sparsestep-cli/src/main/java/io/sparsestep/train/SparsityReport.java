package io.sparsestep.train;

import java.util.Locale;

/**
 * A sparsity figure that says what it counts and where it comes from. Papers differ: most
 * count conv/linear weights only; the gRDA authors count all parameters, biases and batch
 * norm included (ALGORITHMS.md section 12). A figure without its denominator is ambiguous.
 */
public record SparsityReport(Counted counted, Source source, long zeros, long total) {
    public enum Counted {
        PRUNABLE_WEIGHTS("conv/linear weights"),
        ALL_PARAMETERS("all parameters");

        private final String words;

        Counted(String words) { this.words = words; }

        public String words() { return words; }
    }

    public enum Source {
        EXACT_ZEROS("exact zeros"),
        MASK("pruned by the mask");

        private final String words;

        Source(String words) { this.words = words; }

        public String words() { return words; }
    }

    public double fraction() { return total == 0 ? 0 : (double) zeros / total; }

    /** e.g. "0.9615 of 266,200 conv/linear weights (exact zeros)". */
    public String describe() {
        return String.format(Locale.ROOT, "%.4f of %,d %s (%s)", fraction(), total, counted.words(), source.words());
    }
}
