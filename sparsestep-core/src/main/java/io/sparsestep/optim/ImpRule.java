package io.sparsestep.optim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one round of iterative pruning removes (ALGORITHMS.md 5 and 10, torch.nn.utils.prune
 * in iterative use): {@code fraction} of what is still unpruned, ranked by {@code criterion}
 * over single weights ({@link Structure#UNSTRUCTURED}, per layer or over all conv/linear
 * weights: {@code scope}) or over whole output filters / linear rows ({@link Structure#FILTERS},
 * per layer, by their L{@code norm} norm). The constructor checks every rule and names the
 * option that broke it.
 */
public record ImpRule(Criterion criterion, Structure structure, PruneScope scope, double fraction, double norm) {
    /** What a weight or filter is ranked by. */
    public enum Criterion {
        /** |w| of the trained weights (torch's L1Unstructured; for filters LnStructured). */
        L1("l1"),
        /** a uniform score per weight, Philox-drawn from (seed, round) (torch's RandomUnstructured / RandomStructured). */
        RANDOM("random");

        private final String option;

        Criterion(String option) { this.option = option; }

        public String option() { return option; }

        public static Criterion of(String text) {
            for (Criterion c : values()) if (c.option.equals(text)) return c;
            throw new IllegalArgumentException("--criterion must be l1 or random, got '" + text + "'");
        }
    }

    /** What is pruned as one unit. */
    public enum Structure {
        UNSTRUCTURED("unstructured"), FILTERS("filters");

        private final String option;

        Structure(String option) { this.option = option; }

        public String option() { return option; }

        public static Structure of(String text) {
            for (Structure s : values()) if (s.option.equals(text)) return s;
            throw new IllegalArgumentException("--structure must be unstructured or filters, got '" + text + "'");
        }
    }

    public ImpRule {
        if (criterion == null || structure == null || scope == null) throw new IllegalArgumentException("an IMP rule needs a criterion, a structure and a scope");
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--fraction must be in (0, 1) (the share of the remaining weights pruned each round), got " + fraction);
        }
        if (!(norm > 0) || Double.isInfinite(norm)) throw new IllegalArgumentException("--norm must be a finite number > 0 (1: L1, 2: L2), got " + norm);
        if (structure == Structure.FILTERS && scope == PruneScope.GLOBAL) {
            // torch.nn.utils.prune has no global structured rule, and filter norms of layers of
            // different fan-in are not comparable
            throw new IllegalArgumentException("--structure filters ranks the filters within each layer; use --scope layer with it "
                    + "(--scope global is for unstructured pruning only)");
        }
    }

    /** What a summary records: the settings and every rounding and tie rule in words. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("fraction", fraction);
        out.put("criterion", criterion.option());
        out.put("structure", structure.option());
        out.put("scope", scope.option());
        if (structure == Structure.FILTERS) out.put("norm", norm);
        out.put("rule", rule());
        return out;
    }

    /** The rule in one sentence. */
    public String rule() {
        String score = criterion == Criterion.L1 ? "|w|" : "a uniform Philox score (key seed, counter (weight index, round, stream 2))";
        if (structure == Structure.UNSTRUCTURED) {
            return String.format(Locale.ROOT, "%s: of the still-kept conv/linear weights %s, k = round_half_even(%s * kept) with the "
                    + "smallest %s are pruned; ties at the boundary by index, the lowest index kept", scope == PruneScope.GLOBAL
                    ? "global" : "per layer", scope == PruneScope.GLOBAL ? "of all layers together" : "of each layer", fraction, score);
        }
        String filterScore = criterion == Criterion.L1 ? "L" + norm + " norm of its weights" : "L" + norm + " norm of its scores";
        return String.format(Locale.ROOT, "per layer, every conv/linear layer but the classifier: of the filters (rows) not yet pruned, "
                + "k = round_half_even(%s * remaining), at most remaining - 1, with the smallest %s are pruned whole; ties by index, "
                + "the lowest index kept", fraction, filterScore);
    }
}
