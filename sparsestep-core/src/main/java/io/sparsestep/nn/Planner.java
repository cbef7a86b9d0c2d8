package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Collects what every layer needs before anything is allocated: parameters (with their
 * gradients), running statistics, per-layer activation regions sized for the largest
 * batch, fixed per-layer buffers and the shared scratch (the largest any layer asks for,
 * since layers run one at a time). {@link Network} then makes one allocation per kind.
 */
public final class Planner {
    private final Backend backend;
    private final int maxBatch;
    private final boolean fuse;
    private final Deque<String> scope = new ArrayDeque<>();
    final List<Param> params = new ArrayList<>();
    final List<StateTensor> states = new ArrayList<>();
    final List<Slot> workspaceSlots = new ArrayList<>();
    final List<Slot> scratchSlots = new ArrayList<>();

    public Planner(Backend backend, int maxBatch) {
        this(backend, maxBatch, true);
    }

    /** {@code fuse} false plans every op separately: what the fusion tests compare with. */
    Planner(Backend backend, int maxBatch, boolean fuse) {
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.fuse = fuse;
    }

    /**
     * Whether layers fuse a ReLU into the op before it: a batch norm directly followed by a
     * ReLU in a {@link Sequential}, a residual sum and its ReLU. The fused ops give the
     * same bits as the separate ones, and plan less memory.
     */
    boolean fuses() { return fuse; }

    public Backend backend() { return backend; }

    public int maxBatch() { return maxBatch; }

    /** Names declared inside are prefixed with {@code name.}; pair with {@link #pop()}. */
    public void push(String name) { scope.addLast(name); }

    public void pop() { scope.removeLast(); }

    private String qualified(String local) {
        if (scope.isEmpty()) return local;
        return String.join(".", scope) + "." + local;
    }

    public Param param(String name, int[] shape, ParamGroup group, Init init, int fanIn) {
        Param p = new Param(qualified(name), shape.clone(), group, init, fanIn, new Slot(shape), new Slot(shape));
        params.add(p);
        return p;
    }

    public Slot state(String name, int size, float initial) {
        Slot s = new Slot(size);
        states.add(new StateTensor(qualified(name), size, initial, s));
        return s;
    }

    /** A region of {@code maxBatch} samples of the given per-sample shape (activations, input gradients). */
    public Slot activation(int... perSample) {
        int[] shape = new int[perSample.length + 1];
        shape[0] = maxBatch;
        System.arraycopy(perSample, 0, shape, 1, perSample.length);
        Slot s = new Slot(shape);
        workspaceSlots.add(s);
        return s;
    }

    /** A fixed region owned by one layer (e.g. batch-norm saved statistics). */
    public Slot buffer(int... shape) {
        Slot s = new Slot(shape);
        workspaceSlots.add(s);
        return s;
    }

    /**
     * Scratch for one op. All scratch slots alias the start of one shared region sized for
     * the largest request: layers run one at a time, so they never need it together.
     */
    public Slot scratch(long words) {
        Slot s = new Slot(Math.toIntExact(Math.max(1, words)));
        scratchSlots.add(s);
        return s;
    }
}
