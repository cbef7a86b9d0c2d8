package io.sparsestep.shrink;

import io.sparsestep.nn.ModelGraph;

import java.util.Map;

/**
 * Units nobody reads: a filter or neuron whose outgoing weights are all exactly zero in every
 * consumer (every conv or linear layer that reads its channel, through batch norm, ReLU,
 * pooling, flatten and residual sums) contributes exactly nothing to the logits, whatever it
 * computes. {@link #zero} gives each such unit a zero filter and bias (and zero batch-norm
 * scale and shift: {@link Shrink#zeroChannel}), which changes no output, so that {@link Shrink} then
 * removes it with the zero filters a structured method left. Zeroing a unit's filter can in
 * turn leave the units feeding it unread, so this repeats until nothing changes.
 */
public final class DeadUnits {
    private DeadUnits() {}

    /** Zeroes every unread unit of {@code g} in {@code tensors}; returns how many units it zeroed (not counting already-zero ones). */
    public static int zero(ModelGraph g, Map<String, HostTensor> tensors) {
        ChannelSpaces spaces = ChannelSpaces.of(g);
        int zeroed = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int s = 0; s < spaces.count(); s++) {
                if (!spaces.removable(s) || spaces.producers(s).isEmpty()) continue;
                int width = spaces.width(s);
                for (int c = 0; c < width; c++) {
                    if (!unread(spaces, tensors, s, c) || zeroFilters(spaces, tensors, s, c)) continue;
                    Shrink.zeroChannel(g, tensors, spaces.producers(s).getFirst().name(), c);
                    // and its bias: the unit then holds exactly 0, a constant no consumer has to fold
                    for (ModelGraph.Weighted p : spaces.producers(s)) if (p.bias()) tensors.get(p.name() + ".bias").values()[c] = 0f;
                    zeroed++;
                    changed = true;
                }
            }
        }
        return zeroed;
    }

    /** Whether every consumer's weights on channel {@code c} of space {@code s} are exactly zero. */
    private static boolean unread(ChannelSpaces spaces, Map<String, HostTensor> tensors, int s, int c) {
        for (ModelGraph.Weighted q : spaces.consumers(s)) {
            float[] w = tensors.get(q.name() + ".weight").values();
            int span = spaces.span(q);
            int row = spaces.channelsOf(q.input()) * span;
            for (int o = 0; o < q.outWidth(); o++) {
                for (int k = o * row + c * span, end = k + span; k < end; k++) if (w[k] != 0f) return false;
            }
        }
        return true;
    }

    /** Whether channel {@code c} is already zero in every producer and batch norm of space {@code s} (nothing to do). */
    private static boolean zeroFilters(ChannelSpaces spaces, Map<String, HostTensor> tensors, int s, int c) {
        for (ModelGraph.Weighted p : spaces.producers(s)) {
            float[] w = tensors.get(p.name() + ".weight").values();
            int row = w.length / p.outWidth();
            for (int k = c * row; k < (c + 1) * row; k++) if (w[k] != 0f) return false;
            if (p.bias() && tensors.get(p.name() + ".bias").values()[c] != 0f) return false;
        }
        for (ModelGraph.Norm n : spaces.norms(s)) {
            if (tensors.get(n.name() + ".weight").values()[c] != 0f || tensors.get(n.name() + ".bias").values()[c] != 0f) return false;
        }
        return true;
    }
}
