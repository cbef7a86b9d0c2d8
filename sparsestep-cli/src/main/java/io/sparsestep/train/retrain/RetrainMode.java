package io.sparsestep.train.retrain;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How a pruned structure is trained again ("Rethinking the Value of Network Pruning",
 * ALGORITHMS.md 8.1): from its own weights, or from a fresh initialisation for the large
 * model's epochs (Scratch-E) or for its compute budget (Scratch-B).
 */
public enum RetrainMode {
    FINETUNE("finetune"), SCRATCH_E("scratch-e"), SCRATCH_B("scratch-b");

    private final String option;

    RetrainMode(String option) { this.option = option; }

    /** The spelling of {@code --mode}. */
    public String option() { return option; }

    /** Whether the run starts from a fresh initialisation rather than the pruned weights. */
    public boolean fromScratch() { return this != FINETUNE; }

    public static RetrainMode parse(String text) {
        for (RetrainMode m : values()) if (m.option.equals(text)) return m;
        throw new IllegalArgumentException("--mode '" + text + "' is not a retrain mode; use one of "
                + Arrays.stream(values()).map(RetrainMode::option).collect(Collectors.joining(", ")));
    }
}
