package io.sparsestep.backend;

/**
 * Pruning-mask ops. A mask is a u8 view (1 = kept, 0 = pruned) of the same size as the
 * f32 view it applies to, laid out like it: one byte per weight, a quarter of the
 * weights' memory. Every result is exact, so backends agree bit for bit.
 */
public interface MaskOps extends OpFamily {
    /** x[i] = mask[i] != 0 ? x[i] : +0.0, in place (weights after pruning, or their gradients). */
    void apply(Tensor mask, Tensor x);

    /** Number of kept entries (mask[i] != 0); waits for the backend. */
    long countKept(Tensor mask);

    /**
     * mask[i] = |x[i]| > threshold ? 1 : 0. Tie rule: an entry equal to the threshold is
     * pruned. A NaN entry is kept, so a diverged weight stays visible rather than masked.
     */
    void fromMagnitude(Tensor x, float threshold, Tensor mask);

    /**
     * One DropPruning move (ALGORITHMS.md 7) over a prunable range, with counter-based
     * random numbers ({@code Philox4x32-10} keyed by {@code seed}, counter = (element index
     * {@code indexBase + i}, {@code round}, stream), so both backends draw the same number
     * for the same element): a kept entry that is not a survivor ({@code survivors[i] == 0},
     * the candidates: the lowest-|w| fraction) is dropped with probability {@code p}
     * (uniform u < p on stream 0), and its value is saved to {@code saved[i]} when
     * {@code saved} is not null, then set to +0.0; an entry pruned before this move is
     * restored with probability {@code q} (u < q on stream 1), with value
     * {@code saved[i]} when {@code saved} is not null, else +0.0. An entry dropped in this
     * move is not restored in it. Reads mask, survivors, w (and saved); writes mask, w (and
     * saved) where they change.
     */
    void dropStep(Tensor w, Tensor mask, Tensor survivors, Tensor saved, long seed, long round, long indexBase, float p, float q);
}
