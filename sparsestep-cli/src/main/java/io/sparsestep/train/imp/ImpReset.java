package io.sparsestep.train.imp;

import java.util.List;

/**
 * What the weights start from in each round after the first (ALGORITHMS.md 10): the initial
 * weights of round 0 ({@code rewind}, the lottery ticket's reset), the weights after
 * {@code step} training iterations of round 0 ({@code rewind-to K}), a fresh random
 * initialisation drawn from a seed derived from the round ({@code reinit}), or the weights the
 * previous round ended with ({@code continue}: fine-tuning). Whatever the source, the pruned
 * weights start at exactly 0 and its batch-norm statistics come with it.
 */
public record ImpReset(Kind kind, long step) {
    public enum Kind {
        REWIND("rewind"), REWIND_TO("rewind-to"), REINIT("reinit"), CONTINUE("continue");

        private final String option;

        Kind(String option) { this.option = option; }

        public String option() { return option; }
    }

    public ImpReset {
        if (kind == null) throw new IllegalArgumentException("--reset needs one of rewind, rewind-to K, reinit, continue");
        if (kind == Kind.REWIND_TO && step < 1) {
            throw new IllegalArgumentException("--reset rewind-to K needs K >= 1 training iterations of round 0 (K = 0 is --reset rewind), got " + step);
        }
        if (kind != Kind.REWIND_TO && step != 0) throw new IllegalArgumentException("--reset " + kind.option() + " takes no step count");
    }

    /** {@code --reset}'s words as typed: {@code rewind}, {@code rewind-to 500}, {@code reinit}, {@code continue}. */
    public static ImpReset parse(List<String> words) {
        if (words == null || words.isEmpty()) return new ImpReset(Kind.REWIND, 0);
        String name = words.getFirst();
        for (Kind k : Kind.values()) {
            if (!k.option.equals(name)) continue;
            if (k == Kind.REWIND_TO) {
                if (words.size() != 2) throw new IllegalArgumentException("--reset rewind-to needs a step count: --reset rewind-to K (K training iterations of round 0)");
                try {
                    return new ImpReset(k, Long.parseLong(words.get(1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--reset rewind-to K: K must be a whole number of training iterations, got '" + words.get(1) + "'");
                }
            }
            if (words.size() != 1) throw new IllegalArgumentException("--reset " + name + " takes no step count, got '" + words.get(1) + "'");
            return new ImpReset(k, 0);
        }
        throw new IllegalArgumentException("--reset must be rewind, rewind-to K, reinit or continue, got '" + name + "'");
    }

    /** The option's words, for the run's identity. */
    public List<String> words() { return kind == Kind.REWIND_TO ? List.of(kind.option, Long.toString(step)) : List.of(kind.option); }

    /** "rewind-to 500". */
    @Override
    public String toString() { return String.join(" ", words()); }
}
