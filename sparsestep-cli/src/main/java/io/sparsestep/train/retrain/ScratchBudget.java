package io.sparsestep.train.retrain;

import io.sparsestep.optim.LrSchedule;

/**
 * Scratch-B's epochs (ALGORITHMS.md 8.1): the pruned network gets the large model's compute,
 * {@code E_B = int(E * FLOPs_full / FLOPs_pruned)}, with the lr dropped x0.1 after
 * {@code int(0.5 * E_B)} and {@code int(0.75 * E_B)} epochs. The floor is taken in exact
 * integer arithmetic (the authors' Python floors a float product; the two differ only when
 * the product is within a rounding error of a whole number). A pruned network that costs
 * more than the full one (never from pruning) would get fewer epochs, never fewer than one.
 */
public final class ScratchBudget {
    private ScratchBudget() {}

    /** {@code floor(base * full / pruned)}, at least 1. */
    public static int epochs(int base, long fullMacs, long prunedMacs) {
        if (base < 1) throw new IllegalArgumentException("the base epoch count must be >= 1, got " + base);
        if (fullMacs < 1 || prunedMacs < 1) {
            throw new IllegalArgumentException("Scratch-B needs both networks to cost something: full " + fullMacs + ", pruned " + prunedMacs
                    + " multiply-adds per sample (a mask that prunes every weight leaves nothing to train)");
        }
        long e = Math.multiplyExact((long) base, fullMacs) / prunedMacs;
        return Math.toIntExact(Math.max(1, e));
    }

    /**
     * The lr drops of a scratch run of {@code epochs}: after {@code int(0.5 E)} and
     * {@code int(0.75 E)} epochs (the step schedule's default, {@link LrSchedule#defaultMilestones}),
     * leaving out those not before the last epoch (a run of 1 or 2 epochs drops less).
     */
    public static int[] milestones(int epochs) { return LrSchedule.defaultMilestones(epochs); }
}
