package io.sparsestep.backend;

import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;

/**
 * Argument rules of {@link SelectOps}, shared by both backends so a bad call fails with the
 * same line on each. Element types and ownership are each backend's own view checks.
 */
public final class SelectChecks {
    private SelectChecks() {}

    /** The score is named, w is there, g is there for the saliency score, and g and candidates match w's size. */
    public static void operands(String op, Score score, Tensor w, Tensor g, Tensor candidates) {
        if (score == null) throw new IllegalArgumentException(op + ": score is null");
        if (w == null) throw new IllegalArgumentException(op + " weights w is null");
        if (score == Score.SALIENCY) {
            if (g == null) throw new IllegalArgumentException(op + ": the saliency score |g*w| needs the gradient g, got null");
            if (g.size() != w.size()) {
                throw new IllegalArgumentException(op + ": w " + w + " has " + w.size() + " elements but g " + g + " has " + g.size()
                        + "; they must match");
            }
        }
        if (candidates != null) Tensor.requireSameSize(op, w, candidates);
    }

    public static void k(long k) {
        if (k < 1) throw new IllegalArgumentException("kthLargest: k must be >= 1, got " + k + " (selecting nothing needs no threshold)");
    }

    /** The tie rule is named and the mask has w's size. */
    public static void keepTop(Ties ties, Tensor w, Tensor mask) {
        if (ties == null) throw new IllegalArgumentException("keepTop: ties is null");
        if (mask == null) throw new IllegalArgumentException("keepTop mask is null");
        Tensor.requireSameSize("keepTop", w, mask);
    }
}
