package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * torch.nn.utils.prune's L1 rule on one range with its mask: among the entries the mask
 * still keeps, keep exactly {@code keep} with the largest |w| (ties at the boundary by index,
 * lowest first), in place. Shared by one-shot magnitude pruning, DropPruning's final prune and iterative pruning's rounds.
 */
final class MaskPruning {
    private MaskPruning() {}

    /** Keeps exactly {@code keep} of the currently kept entries of {@code layer} (all of them if fewer are kept). */
    static void keepLargest(Backend be, PrunableTensors.Layer layer, long keep, Tensor scratch) {
        if (keep <= 0) {
            clear(be, layer.mask());
            return;
        }
        be.selects().kthLargest(Score.MAGNITUDE, layer.w(), null, layer.mask(), keep, scratch);
        if (!be.selects().read(scratch).valid()) return; // fewer kept than asked (or NaN weights): nothing to remove
        be.selects().keepTop(Score.MAGNITUDE, layer.w(), null, layer.mask(), Ties.LOWEST_INDEX_FIRST, scratch, layer.mask());
    }

    /**
     * torch's iterative amount on each range of {@code scope}: of the entries the mask still
     * keeps, {@code round_half_even(share * kept)} with the smallest |value| are removed (the
     * count read once per range), ties at the boundary by index, the lowest index kept.
     */
    static void removeShare(Backend be, PrunableTensors prunable, PruneScope scope, double share) {
        for (PrunableTensors.Layer layer : prunable.scoped(scope)) {
            long kept = be.masks().countKept(layer.mask());
            keepLargest(be, layer, kept - roundHalfEven(share * kept), prunable.scratch());
        }
    }

    static void clear(Backend be, Tensor mask) {
        try (Arena arena = Arena.ofConfined()) {
            be.upload(arena.allocate(Math.max(1, mask.size())), mask);
        }
    }

    /** torch's count for a float amount: round(amount * n), Python's round, half to even. */
    static long roundHalfEven(double x) { return (long) Math.rint(x); }
}
