package io.sparsestep.nn;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model as the operations it computes on numbered tensors ("values", per sample), in
 * execution order, for one input shape: no memory and no backend. Width specifications,
 * FLOPs counting and the physical shrink read it. Value 0 is the input; the last op's
 * output is the logits. Op names are the tensor names of weights.safetensors without the
 * suffix (a conv's filter is {@code <name>.weight}), scoped exactly as the {@link Planner}
 * scopes them, so {@link #parameters()} and {@link #states()} list what a built network
 * holds, in its order.
 */
public final class ModelGraph {
    /** One operation: it reads values made by earlier ops and writes {@link #output()}. */
    public sealed interface Op permits Weighted, Norm, Relu, Pool, Flatten, Add {
        int output();
    }

    /** A layer with weights (conv or linear): {@code outWidth} filters or rows of {@code inWidth} channels or features. */
    public sealed interface Weighted extends Op permits Conv, Dense {
        String name();
        int input();
        int outWidth();
        boolean bias();
        int[] weightShape();
    }

    /** Convolution with a square kernel: weight [outChannels, inChannels, kernel, kernel]. */
    public record Conv(String name, int input, int output, int inChannels, int outChannels, int kernel, int stride, int padding,
                       boolean bias) implements Weighted {
        public int outWidth() { return outChannels; }
        public int[] weightShape() { return new int[] {outChannels, inChannels, kernel, kernel}; }
    }

    /** Linear layer on the flattened input: weight [outFeatures, inFeatures]. */
    public record Dense(String name, int input, int output, int inFeatures, int outFeatures, boolean bias) implements Weighted {
        public int outWidth() { return outFeatures; }
        public int[] weightShape() { return new int[] {outFeatures, inFeatures}; }
    }

    /** Batch norm over {@code channels} (the first dimension of its input). */
    public record Norm(String name, int input, int output, int channels, float eps) implements Op {}

    public record Relu(int input, int output) implements Op {}

    /** Max or average pooling (average counts in-bounds elements only), or a global average. */
    public record Pool(int input, int output, PoolMode mode, int window, int stride, int padding, boolean global) implements Op {}

    /** [C,H,W] to [C*H*W], channel-major: feature {@code c*H*W + position}. */
    public record Flatten(int input, int output) implements Op {}

    /** The sum of a residual block {@code name}: its branch's output and its shortcut's (the identity or a projection). */
    public record Add(String name, int branch, int shortcut, int output) implements Op {}

    /** A tensor a built network holds: a parameter or a running statistic. */
    public record TensorSpec(String name, int[] shape) {
        public TensorSpec {
            shape = shape.clone();
        }

        @Override
        public int[] shape() { return shape.clone(); }

        public long size() { return Layer.volume(shape); }
    }

    private final List<int[]> shapes = new ArrayList<>();
    /** Per value: the weighted op it comes from through per-channel ops, for messages ("the input" for value 0). */
    private final List<String> origins = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();

    private ModelGraph() {}

    /**
     * The graph of {@code root} (not yet planned, or planned: it is only read) for per-sample
     * input {@code inputShape}. Refuses, naming the layers, a residual block whose branch
     * and shortcut shapes differ: with an identity shortcut, the widths it ties must be equal.
     */
    public static ModelGraph of(Layer root, int[] inputShape) {
        ModelGraph g = new ModelGraph();
        int in = g.value(inputShape.clone(), "the input");
        g.walk(root, "", in);
        return g;
    }

    /** Per-sample shape of value {@code id}. */
    public int[] shape(int id) { return shapes.get(id).clone(); }

    public int inputValue() { return 0; }

    public int outputValue() { return ops.getLast().output(); }

    public int valueCount() { return shapes.size(); }

    public List<Op> ops() { return List.copyOf(ops); }

    /** The conv and linear layers in execution order. */
    public List<Weighted> weighted() {
        List<Weighted> out = new ArrayList<>();
        for (Op op : ops) if (op instanceof Weighted w) out.add(w);
        return out;
    }

    /** The layer that writes the logits: its width is the number of classes, not part of a width specification. */
    public Weighted classifier() {
        if (!(ops.getLast() instanceof Weighted w)) {
            throw new IllegalStateException("the model does not end in a conv or linear layer but in " + ops.getLast());
        }
        return w;
    }

    /** Every trainable tensor in the order a built network declares them. */
    public List<TensorSpec> parameters() {
        List<TensorSpec> out = new ArrayList<>();
        for (Op op : ops) {
            switch (op) {
                case Weighted w -> {
                    out.add(new TensorSpec(w.name() + ".weight", w.weightShape()));
                    if (w.bias()) out.add(new TensorSpec(w.name() + ".bias", new int[] {w.outWidth()}));
                }
                case Norm n -> {
                    out.add(new TensorSpec(n.name() + ".weight", new int[] {n.channels()}));
                    out.add(new TensorSpec(n.name() + ".bias", new int[] {n.channels()}));
                }
                default -> {}
            }
        }
        return out;
    }

    /** Every batch-norm running statistic, in the order a built network declares them. */
    public List<TensorSpec> states() {
        List<TensorSpec> out = new ArrayList<>();
        for (Op op : ops) {
            if (op instanceof Norm n) {
                out.add(new TensorSpec(n.name() + ".running_mean", new int[] {n.channels()}));
                out.add(new TensorSpec(n.name() + ".running_var", new int[] {n.channels()}));
            }
        }
        return out;
    }

    /** {@code scope.name}, or {@code name} at the top: how the planner names what a layer declares. */
    static String join(String scope, String name) {
        return scope.isEmpty() ? name : scope + "." + name;
    }

    private int value(int[] shape, String origin) {
        shapes.add(shape);
        origins.add(origin);
        return shapes.size() - 1;
    }

    private int add(Op op) {
        ops.add(op);
        return op.output();
    }

    private int walk(Layer layer, String scope, int in) {
        int[] s = shapes.get(in);
        String origin = origins.get(in);
        return switch (layer) {
            case Sequential seq -> {
                String inner = seq.name().isEmpty() ? scope : join(scope, seq.name());
                int v = in;
                for (Layer child : seq.children()) v = walk(child, inner, v);
                yield v;
            }
            case Residual r -> residual(r, join(scope, r.name()), in);
            case Conv2d c -> {
                if (s.length != 3) throw new IllegalArgumentException(join(scope, c.name()) + ": Conv2d needs a [C,H,W] input, got rank " + s.length);
                ConvGeometry geo = new ConvGeometry(1, s[0], s[1], s[2], c.outChannels(), c.kernel(), c.kernel(), c.stride(), c.stride(),
                        c.padding(), c.padding());
                String name = join(scope, c.name());
                int out = value(new int[] {c.outChannels(), geo.outH(), geo.outW()}, name);
                yield add(new Conv(name, in, out, s[0], c.outChannels(), c.kernel(), c.stride(), c.padding(), c.hasBias()));
            }
            case Linear l -> {
                String name = join(scope, l.name());
                int out = value(new int[] {l.outFeatures()}, name);
                yield add(new Dense(name, in, out, Math.toIntExact(Layer.volume(s)), l.outFeatures(), l.hasBias()));
            }
            case BatchNorm2d bn -> add(new Norm(join(scope, bn.name()), in, value(s.clone(), origin), s[0], bn.eps()));
            case ReLU _ -> add(new Relu(in, value(s.clone(), origin)));
            case io.sparsestep.nn.Flatten _ -> add(new Flatten(in, value(new int[] {Math.toIntExact(Layer.volume(s))}, origin)));
            case Pool2d p -> {
                if (s.length != 3) throw new IllegalArgumentException(join(scope, p.name()) + ": pooling needs a [C,H,W] input, got rank " + s.length);
                PoolGeometry geo = p.global()
                        ? new PoolGeometry(1, s[0], s[1], s[2], s[1], s[2], 1, 1, 0, 0)
                        : new PoolGeometry(1, s[0], s[1], s[2], p.window(), p.window(), p.stride(), p.stride(), p.padding(), p.padding());
                int out = value(new int[] {s[0], geo.outH(), geo.outW()}, origin);
                yield add(new Pool(in, out, p.mode(), p.window(), p.stride(), p.padding(), p.global()));
            }
        };
    }

    private int residual(Residual r, String name, int in) {
        int a = walk(r.branch(), name, in);
        int b = r.shortcut() == null ? in : walk(r.shortcut(), name, in);
        if (!Arrays.equals(shapes.get(a), shapes.get(b))) {
            String shortcut = r.shortcut() == null ? "identity shortcut carries " : "shortcut ends in ";
            throw new IllegalArgumentException(name + ": its branch ends in " + Arrays.toString(shapes.get(a)) + " (from "
                    + origins.get(a) + ") but its " + shortcut + Arrays.toString(shapes.get(b)) + " (from " + origins.get(b)
                    + "); the tensors a residual sum ties need equal widths: give " + origins.get(a) + " and " + origins.get(b)
                    + " the same width");
        }
        int sum = add(new Add(name, a, b, value(shapes.get(a).clone(), origins.get(a))));
        return r.reluAfter() ? add(new Relu(sum, value(shapes.get(a).clone(), origins.get(a)))) : sum;
    }
}
