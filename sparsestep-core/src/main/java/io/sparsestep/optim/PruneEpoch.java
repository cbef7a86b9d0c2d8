package io.sparsestep.optim;

/**
 * The {@code --prune-epoch} option of the one-shot methods (magnitude, filter pruning,
 * network slimming): how many epochs train before the single prune; the rest fine-tune with
 * the mask fixed. 0 prunes the starting weights (e.g. {@code --init-from}); {@link #AUTO}
 * means half of {@code --epochs}, rounded down.
 */
final class PruneEpoch {
    /** The option's default: half of --epochs (rounded down). */
    static final int AUTO = -1;

    private PruneEpoch() {}

    /** Refuses a value below {@link #AUTO}, naming the option. */
    static void check(int pruneEpoch) {
        if (pruneEpoch < AUTO) throw new IllegalArgumentException("--prune-epoch must be >= 0, or -1 for half of --epochs, got " + pruneEpoch);
    }

    /** The epoch count after which the prune happens in a run of {@code plan}; at least one epoch must be left to fine-tune. */
    static int resolve(int pruneEpoch, TrainingPlan plan) {
        int e = pruneEpoch == AUTO ? plan.epochs() / 2 : pruneEpoch;
        if (e >= plan.epochs()) {
            throw new IllegalArgumentException("--prune-epoch " + e + " leaves no epoch to fine-tune in a run of " + plan.epochs()
                    + " epochs; use at most " + (plan.epochs() - 1));
        }
        return e;
    }
}
