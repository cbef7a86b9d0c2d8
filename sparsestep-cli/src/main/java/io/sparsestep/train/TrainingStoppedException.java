package io.sparsestep.train;

/** The loop stopped on request (Ctrl-C, SIGTERM) after a finished step: nothing was half-written. */
public final class TrainingStoppedException extends RuntimeException {
    private final int epoch;
    private final long globalStep;

    public TrainingStoppedException(int epoch, long globalStep) {
        super("training stopped on request during epoch " + epoch + ", after step " + globalStep);
        this.epoch = epoch;
        this.globalStep = globalStep;
    }

    public int epoch() { return epoch; }

    public long globalStep() { return globalStep; }
}
