package io.sparsestep.optim;

/** Where a pruning rule ranks weights: within each conv/linear tensor, or over all of them together. */
public enum PruneScope {
    LAYER("layer"), GLOBAL("global");

    private final String option;

    PruneScope(String option) { this.option = option; }

    /** The option's text: "layer" or "global". */
    public String option() { return option; }

    public static PruneScope of(String option) {
        for (PruneScope s : values()) if (s.option.equals(option)) return s;
        throw new IllegalArgumentException("scope must be layer or global, got '" + option + "'");
    }
}
