package io.sparsestep.train;

import java.util.Locale;

/** Stops a run whose loss is no longer finite, naming where and what to change. */
final class DivergenceCheck implements TrainingListener {
    private final String methodLabel;

    DivergenceCheck(String methodLabel) { this.methodLabel = methodLabel; }

    @Override
    public void onStep(StepEvent e) {
        if (!Double.isFinite(e.lossSum())) {
            // every other hyperparameter was checked to be finite and in range, so the step
            // size is what is left to blame
            throw new TrainingDivergedException(String.format(Locale.ROOT,
                    "training diverged: loss is %s at epoch %d, step %d (%s, lr %.4g); lower --lr",
                    (float) e.lossSum(), e.epoch(), e.globalStep(), methodLabel, e.lr()));
        }
    }
}
