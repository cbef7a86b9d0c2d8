package io.sparsestep.train;

import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.store.EpochRow;

import java.util.List;

/**
 * What the training loop tells the rest of a run, per step and per epoch: the progress
 * bar, the divergence check, the per-epoch writers, checkpointing and (next) the maskers
 * of pruning methods are listeners. The loop calls nothing else outside itself; a listener
 * may throw to stop the run (the divergence check does), and {@link #onRunEnd} runs
 * however the run ends.
 */
public interface TrainingListener {
    /** Before the first step of an epoch. */
    default void onEpochStart(EpochStart event) {}

    /** After each optimizer step (skipped batches too small for batch norm are not steps). */
    default void onStep(StepEvent event) {}

    /** After an epoch's evaluation: its row and every row so far (newest last). */
    default void onEpochEnd(EpochEnd event) {}

    /** When the run ends: {@code completed} false when a listener threw, training diverged or a stop was requested. */
    default void onRunEnd(boolean completed) {}

    record EpochStart(int epoch, int epochs, int batches, Optimizer optimizer) {}

    /**
     * One step: the epoch (1-based), the global step count after it (batches including skipped
     * ones, as the lr schedule counts), the lr used, the batch's summed loss and size.
     */
    record StepEvent(int epoch, int epochs, long globalStep, double lr, double lossSum, double correct, int samples,
                     Optimizer optimizer, Network net) {
        public double meanLoss() { return lossSum / samples; }
    }

    record EpochEnd(EpochRow row, List<EpochRow> rows, long globalStep, Optimizer optimizer, Network net) {}
}
