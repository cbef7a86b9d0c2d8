package io.sparsestep.backend;

/**
 * Exact selection over a flat f32 range, the core of every magnitude-style pruning rule:
 * the k-th largest score, and the mask of the entries at or above it. The score is never
 * stored: it is computed on the fly from the weights ({@link Score#MAGNITUDE}: {@code |w|})
 * or from the weights and their gradients ({@link Score#SALIENCY}: {@code |g*w|}, the
 * product rounded to float as Java rounds it, then its absolute value).
 *
 * <p>Algorithm (both backends, so they agree exactly): radix select on the float bits.
 * A non-negative float's bits order like an unsigned integer, so three histogram passes
 * over 11, 11 and 10 bits of the score find the k-th largest value exactly, without a sort.
 * A NaN score is never a candidate (it is counted, so a caller can stop the run); +inf is
 * an ordinary, largest value.
 *
 * <p>Results stay on the backend, in a {@code scratch} tensor of {@link #scratchWords}
 * words that the caller allocates once: {@link #threshold} is a one-word view of it that a
 * fused step reads on the device (no host round trip inside a training step), and
 * {@link #read} copies the whole {@link Selection} to the host when it is wanted.
 *
 * <p>{@code candidates} is an optional u8 mask of the range's size: only entries whose
 * byte is non-zero take part (torch.nn.utils.prune's "among the still-unpruned entries");
 * null means every entry does.
 */
public interface SelectOps extends OpFamily {
    /** What an entry is ranked by. */
    enum Score {
        /** |w| (magnitude pruning). */
        MAGNITUDE,
        /** |g*w| (GSM's first-order Taylor score); needs the gradient. */
        SALIENCY
    }

    /** Which of the entries equal to the threshold {@link #keepTop} keeps. */
    enum Ties {
        /** Every entry {@code >=} the k-th largest (GSM's and TF-MOT's rule: k or more are kept). */
        KEEP_ALL,
        /** Exactly k: the entries {@code >} the threshold, then the equal ones in index order, lowest index first. */
        LOWEST_INDEX_FIRST
    }

    /**
     * The outcome of {@link #kthLargest}: the threshold (the k-th largest score), how many
     * candidates scored strictly above it and how many equal to it ({@code above < k <=
     * above + equal}), how many candidates there were, and how many of them had a NaN score
     * (never selected). {@code k} is the k asked for.
     */
    record Selection(float threshold, long above, long equal, long candidates, long nan, long k) {
        /** Whether the selection exists: k was at least 1 and at most the candidates with a non-NaN score. */
        public boolean valid() { return k >= 1 && k <= candidates - nan; }
    }

    /** Words of scratch a selection over a range of {@code n} entries needs (histogram, result, tie counts). */
    long scratchWords(long n);

    /**
     * Finds the k-th largest score among the candidates into {@code scratch}. {@code g}
     * may be null for {@link Score#MAGNITUDE}. {@code k >= 1}; a k larger than the
     * candidates with non-NaN scores is not an exception here (the backend may not have
     * counted yet): it gives a selection that is not {@link Selection#valid()}.
     */
    void kthLargest(Score score, Tensor w, Tensor g, Tensor candidates, long k, Tensor scratch);

    /** The one-word f32 view of {@code scratch} holding the last threshold (for a fused step to read on the backend). */
    Tensor threshold(Tensor scratch);

    /** The last selection in {@code scratch}, on the host (waits for the backend). */
    Selection read(Tensor scratch);

    /**
     * {@code mask[i] = 1} for the candidates the last {@link #kthLargest} in {@code scratch}
     * selected, with the same score, w, g and candidates, else 0: every candidate scoring
     * above the threshold, and of those equal to it all ({@link Ties#KEEP_ALL}) or the
     * first {@code k - above} by index ({@link Ties#LOWEST_INDEX_FIRST}). {@code mask} may
     * be {@code candidates} itself (an in-place update). Exact, so the backends agree bit
     * for bit; after an invalid selection the mask keeps nothing.
     */
    void keepTop(Score score, Tensor w, Tensor g, Tensor candidates, Ties ties, Tensor scratch, Tensor mask);
}
