package io.sparsestep.backend;

/**
 * Argument rules of the fused optimizer steps, shared by every backend (and the raw
 * embedding APIs) so bad settings fail the same way, with the same line, everywhere.
 */
public final class StepChecks {
    private StepChecks() {}

    public static void tau(float tau) {
        if (!(tau >= 0f)) {
            throw new IllegalArgumentException("gRDA threshold tau must be >= 0 (it is c*lr^(0.5+mu)*n^mu), got " + tau);
        }
    }

    public static void sgd(float momentum, boolean nesterov, float dampening) {
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and dampening = 0 (PyTorch's rule), got momentum "
                    + momentum + ", dampening " + dampening);
        }
    }

    /**
     * Whether a step with this momentum uses its buffer (momentum 0 never touches it, so it
     * may be null then); refuses a missing buffer or one whose size is not w's, naming the op.
     */
    public static boolean usesMomentumBuffer(String op, float momentum, Tensor w, Tensor momentumBuf) {
        if (momentum == 0f) return false;
        if (momentumBuf == null) {
            throw new IllegalArgumentException(op + ": momentum " + momentum + " needs a momentum buffer of " + w.size() + " floats, got null");
        }
        if (momentumBuf.size() != w.size()) {
            throw new IllegalArgumentException(op + ": momentum buffer " + momentumBuf + " has " + momentumBuf.size() + " elements but w "
                    + w + " has " + w.size() + "; they must match");
        }
        return true;
    }
}
