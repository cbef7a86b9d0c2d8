package io.sparsestep.optim;

/** A step met a gradient that is not a number, where the method cannot go on (GSM's score |g*w| is NaN). */
public final class NonFiniteGradientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NonFiniteGradientException(String message) { super(message); }
}
