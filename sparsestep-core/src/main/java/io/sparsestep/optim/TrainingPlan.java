package io.sparsestep.optim;

/**
 * What a method may know about the run it is built for: the epochs, the optimizer steps per
 * epoch and the run's seed. Pruning methods read their schedules from it (gradual magnitude
 * pruning's default end step, one-shot magnitude's default prune epoch, DropPruning's
 * seeded draws), so their defaults are a recipe for any run length.
 */
public record TrainingPlan(int epochs, long stepsPerEpoch, long seed) {
    /** What a spec built without a run gets (a benchmark, an embedding): one epoch of 1000 steps, seed 0. */
    public static final TrainingPlan UNSPECIFIED = new TrainingPlan(1, 1000, 0);

    public TrainingPlan {
        if (epochs < 1) throw new IllegalArgumentException("a training plan needs at least 1 epoch, got " + epochs);
        if (stepsPerEpoch < 1) throw new IllegalArgumentException("a training plan needs at least 1 step per epoch, got " + stepsPerEpoch);
    }

    /** Steps of the whole run. */
    public long totalSteps() { return epochs * stepsPerEpoch; }
}
