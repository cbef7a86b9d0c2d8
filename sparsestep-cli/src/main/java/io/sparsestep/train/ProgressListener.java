package io.sparsestep.train;

import io.sparsestep.train.io.TrainProgress;

/**
 * The per-epoch progress bar (only on a terminal): loss and the live sparsity from the
 * optimizer's fused zero count, which costs no pass over the weights.
 */
final class ProgressListener implements TrainingListener {
    private final String methodLabel;
    private final long prunable;
    private TrainProgress bar;

    ProgressListener(String methodLabel, long prunable) {
        this.methodLabel = methodLabel;
        this.prunable = prunable;
    }

    @Override
    public void onEpochStart(EpochStart e) {
        // the run's header line names the model; the bar has to fit 80 columns with sparsity
        bar = new TrainProgress(TrainProgress.epochTask(methodLabel, e.epoch(), e.epochs()), e.batches(), true);
    }

    @Override
    public void onStep(StepEvent e) {
        long zeros = e.optimizer().lastStepZeros();
        bar.step(e.meanLoss(), zeros < 0 || prunable == 0 ? Double.NaN : (double) zeros / prunable);
    }

    @Override
    public void onEpochEnd(EpochEnd e) { closeBar(); }

    @Override
    public void onRunEnd(boolean completed) { closeBar(); }

    private void closeBar() {
        if (bar != null) bar.close();
        bar = null;
    }
}
