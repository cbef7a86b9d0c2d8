package io.sparsestep.djl;

import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies of many weight tensors end to end, in the block's order, in memory of the
 * optimizer's own: what a selection over all prunable weights together needs (GSM's global
 * top-Q of {@code |g*w|}, GMP's global magnitude threshold, GSM's final prune), since the
 * core's {@code SelectOps} rank one flat range and DJL keeps every tensor apart. Holds the
 * weights, optionally their gradients, a u8 mask over the same range (for
 * {@code SelectOps.keepTop}) and the selection scratch. The flat index of an element is its
 * tensor's offset plus its row-major index: the order a tie rule "lowest index first" uses,
 * the same as the core's weights group of a {@code ParamLayout} declared in the block's order.
 * Cost: 4 bytes per weight for the copy (8 with gradients) plus 1 for the mask. The
 * tensors over each parameter's parts are made once, with the memory (a steady step makes none).
 */
final class FlatWeights {
    private final Map<String, Long> offsets;
    private final long count;
    private final MemorySegment weightCopy, gradientCopy;
    private final Tensor weights, gradients, mask, scratch, threshold;
    private final Map<String, Tensor> gradientParts = new HashMap<>(), maskParts = new HashMap<>();

    private FlatWeights(Map<String, Long> offsets, Map<String, Long> sizes, long count, boolean withGradients, CoreOps ops) {
        this.offsets = offsets;
        this.count = count;
        Arena arena = ops.arena();
        this.weightCopy = arena.allocate(count * Float.BYTES, 64);
        this.gradientCopy = withGradients ? arena.allocate(count * Float.BYTES, 64) : null;
        this.weights = ops.floats(weightCopy, "flat weights");
        this.gradients = gradientCopy == null ? null : ops.floats(gradientCopy, "flat gradients");
        this.mask = ops.bytes(arena.allocate((count + 3) / 4 * 4, 64), count, "flat mask");
        this.scratch = ops.floats(arena.allocate(ops.backend().selects().scratchWords(count) * Float.BYTES, 64), "selection scratch");
        this.threshold = ops.backend().selects().threshold(scratch);
        for (Map.Entry<String, Long> e : offsets.entrySet()) {
            int size = Math.toIntExact(sizes.get(e.getKey()));
            if (gradients != null) gradientParts.put(e.getKey(), gradients.range(e.getValue(), size));
            maskParts.put(e.getKey(), mask.range(e.getValue(), size));
        }
    }

    /** Room for the arrays of {@code roles} (initialized parameters), in that order; gradients too when asked. */
    static FlatWeights of(List<ParameterRoles.Role> roles, boolean withGradients, CoreOps ops) {
        WholeStep.requireWeights(roles, "a selection over the block's weights");
        Map<String, Long> offsets = new LinkedHashMap<>(), sizes = new HashMap<>();
        long n = 0;
        for (ParameterRoles.Role r : roles) {
            offsets.put(r.parameter().getId(), n);
            sizes.put(r.parameter().getId(), r.parameter().getArray().size());
            n += r.parameter().getArray().size();
        }
        return new FlatWeights(Collections.unmodifiableMap(offsets), sizes, n, withGradients, ops);
    }

    /** Weights in all, N. */
    long count() { return count; }

    /** Whether the parameter with this id has a place here. */
    boolean holds(String parameterId) { return offsets.containsKey(parameterId); }

    /** The ids of the tensors, in order. */
    Iterable<String> ids() { return offsets.keySet(); }

    Tensor weights() { return weights; }

    Tensor gradients() { return gradients; }

    Tensor mask() { return mask; }

    Tensor scratch() { return scratch; }

    /** The one-word view of the scratch holding the last selection's threshold (what GSM's fused step reads). */
    Tensor threshold() { return threshold; }

    /** The parameter's part of {@link #gradients()}. */
    Tensor gradientOf(String parameterId) { return gradientParts.get(parameterId); }

    /** The parameter's part of {@link #mask()}. */
    Tensor maskOf(String parameterId) { return maskParts.get(parameterId); }

    /** Copies the parameter's weights ({@code size} floats of {@code from}) into its place. */
    void putWeights(String parameterId, MemorySegment from, long size) { copy(from, weightCopy, parameterId, size); }

    /** Copies the parameter's gradient into its place (only where this holds gradients). */
    void putGradients(String parameterId, MemorySegment from, long size) { copy(from, gradientCopy, parameterId, size); }

    private void copy(MemorySegment from, MemorySegment to, String parameterId, long size) {
        MemorySegment.copy(from, 0, to, offsets.get(parameterId) * Float.BYTES, size * Float.BYTES);
    }
}
