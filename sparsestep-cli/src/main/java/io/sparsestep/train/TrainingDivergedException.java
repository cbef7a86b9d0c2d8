package io.sparsestep.train;

/** The loss became NaN or infinite: the run cannot continue and its last weights are meaningless. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
