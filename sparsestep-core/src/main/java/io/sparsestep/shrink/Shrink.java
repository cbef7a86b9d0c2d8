package io.sparsestep.shrink;

import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The physical shrink: a trained network whose conv filters or linear rows are exactly zero
 * becomes a smaller dense network that computes the same function in evaluation mode (batch
 * norm on its running statistics), up to float rounding.
 *
 * <p>A zero filter does not make a zero channel: its output is the bias (or 0), which batch
 * norm maps to {@code gamma * (b - mean) / sqrt(var + eps) + beta} and ReLU clamps; the
 * channel is a constant {@code k}, and its consumers see {@code k} at every position. So a
 * channel goes only when that is exact:
 * <ul>
 *   <li>every producer of the channel's space has its filter zero (a channel a residual sum
 *       ties across a stage goes only if every tensor on that path drops it; a projection
 *       shortcut starts a new space, so it decouples);</li>
 *   <li>and at every consumer (the next conv or linear layer, through pooling, flatten and
 *       residual sums) the constant is exactly 0, or it can be folded: into a linear layer's
 *       bias ({@code b_o += k * sum of the row's weights on the channel}, over every flattened
 *       position), or into the bias of a conv without padding ({@code k} times the filter's
 *       taps on the channel). A padded conv sees zeros instead of {@code k} at its borders,
 *       so no bias can absorb a nonzero constant there: such a channel is kept and reported.</li>
 * </ul>
 * The constant is computed in double from the file's float32 values, so the folded network
 * matches the masked one up to rounding. Removed channels take their batch-norm channel, bias
 * entry and every consumer's input channel with them. A layer keeps at least one channel:
 * when all are removable the lowest-indexed stays. Removing input channels can leave a
 * consumer's row all zero, so the shrink repeats until nothing more goes.
 */
public final class Shrink {
    /** Zero filters of {@code layer} that stay, and why. */
    public record Kept(String layer, int filters, String reason) {}

    /**
     * The architecture before and after, the smaller network's tensors (parameters then
     * running statistics, in the order a built network declares them), and the zero filters
     * that had to stay.
     */
    public record Result(Architecture before, Architecture after, LinkedHashMap<String, HostTensor> tensors, List<Kept> kept) {
        public Result {
            kept = List.copyOf(kept);
        }

        public boolean changed() { return !before.equals(after); }

        /** Filters and rows removed, summed over the conv/linear layers. */
        public int removedFilters() {
            int n = 0;
            for (Map.Entry<String, Integer> e : before.widths().entrySet()) n += e.getValue() - after.width(e.getKey());
            return n;
        }

        public int zeroFiltersKept() { return kept.stream().mapToInt(Kept::filters).sum(); }
    }

    private Shrink() {}

    /**
     * Shrinks the network {@code arch} (per-sample input {@code input}, {@code classes}
     * outputs) whose weights and running statistics are {@code tensors} (other tensors, such
     * as a checkpoint's optimizer state, are ignored). Every tensor the architecture needs
     * is checked first, in the network's order; the first missing or misshapen one is one
     * line naming it and {@code source}.
     */
    public static Result apply(Architecture arch, int[] input, int classes, Map<String, HostTensor> tensors, String source) {
        ModelGraph g = graph(arch, input, classes);
        LinkedHashMap<String, HostTensor> current = required(g, tensors, source, arch);
        Architecture a = arch;
        while (true) {
            Round r = new Round(g, current);
            if (!r.removesAny()) return new Result(arch, a, current, r.kept());
            a = a.with(r.widths());
            ModelGraph next = graph(a, input, classes);
            current = r.apply(next);
            g = next;
        }
    }

    /**
     * The structured mask of one channel: sets output channel {@code channel} of {@code layer}
     * to exactly zero in every tensor that shares it (every layer a residual sum ties to it
     * gets its filter zeroed, every batch norm on it a zero scale and shift), so the shrink
     * can remove it. What a structured pruning method leaves, for tests and benchmarks.
     */
    public static void zeroChannel(ModelGraph g, Map<String, HostTensor> tensors, String layer, int channel) {
        ChannelSpaces spaces = ChannelSpaces.of(g);
        ModelGraph.Weighted of = g.weighted().stream().filter(w -> w.name().equals(layer)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no conv or linear layer '" + layer + "'"));
        int s = spaces.spaceOf(of.output());
        for (ModelGraph.Weighted p : spaces.producers(s)) {
            float[] w = tensors.get(p.name() + ".weight").values();
            int row = w.length / p.outWidth();
            Arrays.fill(w, channel * row, (channel + 1) * row, 0f);
        }
        for (ModelGraph.Norm n : spaces.norms(s)) {
            tensors.get(n.name() + ".weight").values()[channel] = 0f;
            tensors.get(n.name() + ".bias").values()[channel] = 0f;
        }
    }

    /**
     * Whether consumer {@code q} can absorb a constant input channel into its bias: a linear
     * layer, or a conv without padding (each output then sees the constant at every tap), with a bias.
     */
    static boolean foldable(ModelGraph.Weighted q) {
        return q.bias() && (q instanceof ModelGraph.Dense || q instanceof ModelGraph.Conv conv && conv.padding() == 0);
    }

    private static String unfoldable(ModelGraph.Weighted q) {
        return q instanceof ModelGraph.Conv c && c.padding() > 0 ? "pads its input (padding " + c.padding() + ")" : "has no bias";
    }

    private static ModelGraph graph(Architecture arch, int[] input, int classes) {
        return ModelGraph.of(Models.create(arch, input, classes), input);
    }

    private static LinkedHashMap<String, HostTensor> required(ModelGraph g, Map<String, HostTensor> tensors, String source,
                                                           Architecture arch) {
        String what = arch.isDefault() ? arch.model() : arch.model() + " with the given widths";
        LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
        List<ModelGraph.TensorSpec> all = new ArrayList<>(g.parameters());
        all.addAll(g.states());
        for (ModelGraph.TensorSpec spec : all) {
            HostTensor t = tensors.get(spec.name());
            if (t == null) {
                throw new IllegalArgumentException(source + ": has no tensor '" + spec.name() + "', which " + what
                        + " needs; is it a file of another model (--model, --widths)?");
            }
            if (!Arrays.equals(t.shape(), spec.shape())) {
                throw new IllegalArgumentException(source + ": tensor '" + spec.name() + "' has shape " + Arrays.toString(t.shape()) + ", "
                        + what + " needs " + Arrays.toString(spec.shape()) + "; is it a file of another model, widths or input size?");
            }
            out.put(spec.name(), t);
        }
        return out;
    }

    /** One pass: which channels go (decided on the tensors as they are), and the smaller tensors. */
    private static final class Round {
        private final ModelGraph g;
        private final ChannelSpaces spaces;
        private final Map<String, HostTensor> t;
        /** Per space, per channel: removed in this round. */
        private final boolean[][] removed;
        /** Per value, per channel: the constant a removed channel holds there (what consumers fold). */
        private final double[][] constant;
        /** Layer, then reason, to the number of zero filters kept. */
        private final Map<String, Map<String, Integer>> kept = new LinkedHashMap<>();

        Round(ModelGraph g, Map<String, HostTensor> t) {
            this.g = g;
            this.t = t;
            this.spaces = ChannelSpaces.of(g);
            removed = new boolean[spaces.count()][];
            constant = new double[g.valueCount()][];
            for (int v = 0; v < g.valueCount(); v++) constant[v] = new double[spaces.channelsOf(v)];
            for (int s = 0; s < spaces.count(); s++) {
                removed[s] = new boolean[spaces.width(s)];
                if (!spaces.removable(s)) continue;
                for (int c = 0; c < removed[s].length; c++) decide(s, c);
                if (allTrue(removed[s])) {
                    removed[s][0] = false;
                    for (ModelGraph.Weighted p : spaces.producers(s)) keep(p.name(), "it is the last channel (a layer keeps at least one)");
                }
            }
        }

        boolean removesAny() {
            for (boolean[] r : removed) for (boolean b : r) if (b) return true;
            return false;
        }

        List<Kept> kept() {
            List<Kept> out = new ArrayList<>();
            kept.forEach((layer, reasons) -> reasons.forEach((why, n) -> out.add(new Kept(layer, n, why))));
            return out;
        }

        /** The new width of every conv/linear layer but the classifier. */
        Map<String, Integer> widths() {
            Map<String, Integer> w = new LinkedHashMap<>();
            for (ModelGraph.Weighted l : g.weighted()) {
                if (l != g.classifier()) w.put(l.name(), kept(spaces.spaceOf(l.output())).length);
            }
            return w;
        }

        private void decide(int s, int c) {
            List<ModelGraph.Weighted> producers = spaces.producers(s);
            List<ModelGraph.Weighted> zero = producers.stream().filter(p -> zeroFilter(p, c)).toList();
            if (zero.isEmpty()) return;
            if (zero.size() < producers.size()) {
                for (ModelGraph.Weighted p : zero) keep(p.name(), "a residual sum ties it to a layer whose filter is not zero");
                return;
            }
            double[] v = evaluate(s, c);
            for (ModelGraph.Weighted q : spaces.consumers(s)) {
                double k = v[q.input()];
                String why = !Double.isFinite(k) ? "its output is not a finite constant (" + k + ")"
                        : k != 0 && !foldable(q) ? "its constant output reaches " + q.name() + ", which " + unfoldable(q)
                        + " (a nonzero constant folds only into a linear layer's or an unpadded conv's bias)"
                        : null;
                if (why != null) {
                    for (ModelGraph.Weighted p : producers) keep(p.name(), why);
                    return;
                }
            }
            removed[s][c] = true;
            for (int u = 0; u < g.valueCount(); u++) if (spaces.spaceOf(u) == s) constant[u][c] = v[u];
        }

        private void keep(String layer, String why) {
            kept.computeIfAbsent(layer, l -> new LinkedHashMap<>()).merge(why, 1, Integer::sum);
        }

        private boolean zeroFilter(ModelGraph.Weighted p, int c) {
            HostTensor w = t.get(p.name() + ".weight");
            int row = w.values().length / p.outWidth();
            return w.zeroRange(c * row, row);
        }

        /**
         * Channel {@code c} of space {@code s} at every tensor of the space, given that each
         * producer's filter c is zero: the producer's bias, through batch norm (running
         * statistics), ReLU, pooling (a constant plane pools to itself), flatten and sums.
         * NaN elsewhere.
         */
        private double[] evaluate(int s, int c) {
            double[] v = new double[g.valueCount()];
            Arrays.fill(v, Double.NaN);
            for (ModelGraph.Op op : g.ops()) {
                if (spaces.spaceOf(op.output()) != s) continue;
                v[op.output()] = switch (op) {
                    case ModelGraph.Weighted w -> w.bias() ? t.get(w.name() + ".bias").values()[c] : 0;
                    case ModelGraph.Norm n -> (v[n.input()] - value(n, "running_mean", c)) / Math.sqrt(value(n, "running_var", c) + n.eps())
                            * value(n, "weight", c) + value(n, "bias", c);
                    case ModelGraph.Relu r -> Math.max(v[r.input()], 0.0);
                    case ModelGraph.Pool p -> v[p.input()];
                    case ModelGraph.Flatten f -> v[f.input()];
                    case ModelGraph.Add a -> v[a.branch()] + v[a.shortcut()];
                };
            }
            return v;
        }

        private double value(ModelGraph.Norm n, String tensor, int c) { return t.get(n.name() + "." + tensor).values()[c]; }

        private int[] kept(int s) {
            int[] out = new int[removed[s].length];
            int n = 0;
            for (int c = 0; c < removed[s].length; c++) if (!removed[s][c]) out[n++] = c;
            return Arrays.copyOf(out, n);
        }

        /** The tensors of {@code next} (this round's architecture after the removal), in its order. */
        LinkedHashMap<String, HostTensor> apply(ModelGraph next) {
            Map<String, HostTensor> made = new HashMap<>();
            for (ModelGraph.Op op : g.ops()) {
                switch (op) {
                    case ModelGraph.Weighted w -> shrinkWeighted(w, made);
                    case ModelGraph.Norm n -> {
                        int[] keep = kept(spaces.spaceOf(n.input()));
                        for (String part : List.of("weight", "bias", "running_mean", "running_var")) {
                            made.put(n.name() + "." + part, select(t.get(n.name() + "." + part), keep));
                        }
                    }
                    default -> {}
                }
            }
            LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
            List<ModelGraph.TensorSpec> all = new ArrayList<>(next.parameters());
            all.addAll(next.states());
            for (ModelGraph.TensorSpec spec : all) {
                HostTensor x = made.get(spec.name());
                if (x == null || !Arrays.equals(x.shape(), spec.shape())) {
                    throw new IllegalStateException("shrink made " + x + " for " + spec.name() + ", the smaller model needs " + Arrays.toString(spec.shape()));
                }
                out.put(spec.name(), x);
            }
            return out;
        }

        /**
         * Keeps the filters (rows) of the kept output channels and, inside each, the kept input
         * channels; the bias gains the fold of every removed input channel's constant.
         */
        private void shrinkWeighted(ModelGraph.Weighted w, Map<String, HostTensor> made) {
            int in = w.input();
            int sIn = spaces.spaceOf(in);
            int[] ko = kept(spaces.spaceOf(w.output())), ki = kept(sIn);
            int inChannels = spaces.channelsOf(in);
            int span = spaces.span(w);
            int row = inChannels * span;
            HostTensor weight = t.get(w.name() + ".weight");
            float[] src = weight.values(), dst = new float[ko.length * ki.length * span];
            for (int o = 0; o < ko.length; o++) {
                for (int c = 0; c < ki.length; c++) System.arraycopy(src, ko[o] * row + ki[c] * span, dst, (o * ki.length + c) * span, span);
            }
            int[] shape = weight.shape();
            shape[0] = ko.length;
            shape[1] = ki.length * (w instanceof ModelGraph.Conv ? 1 : span);
            made.put(w.name() + ".weight", new HostTensor(shape, dst));
            if (!w.bias()) return;
            float[] bias = t.get(w.name() + ".bias").values(), b = new float[ko.length];
            for (int o = 0; o < ko.length; o++) {
                double folded = bias[ko[o]];
                for (int c = 0; c < inChannels; c++) {
                    double k = constant[in][c];
                    if (!removed[sIn][c] || k == 0) continue;
                    double taps = 0;
                    for (int j = 0; j < span; j++) taps += src[ko[o] * row + c * span + j];
                    folded += k * taps;
                }
                b[o] = (float) folded;
            }
            made.put(w.name() + ".bias", new HostTensor(new int[] {ko.length}, b));
        }

        private static HostTensor select(HostTensor x, int[] keep) {
            float[] v = new float[keep.length];
            for (int i = 0; i < keep.length; i++) v[i] = x.values()[keep[i]];
            return new HostTensor(new int[] {keep.length}, v);
        }

        private static boolean allTrue(boolean[] a) {
            for (boolean b : a) if (!b) return false;
            return a.length > 0;
        }
    }
}
