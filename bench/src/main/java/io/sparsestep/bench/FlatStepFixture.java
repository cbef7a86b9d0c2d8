package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.Tensor;
import io.sparsestep.nn.FlatMemory;
import io.sparsestep.nn.Init;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.nn.Planner;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.Optimizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One flat buffer of {@code size} parameters and what a {@link StepKind} needs to step it:
 * for the optimizers, a one-tensor {@link FlatMemory} (parameters and gradients) and the
 * real {@link Grda} or {@link Sgd} object, so the benchmark times the library's own path
 * (threshold bookkeeping, zero counting and all); for an op-level kind, the same memory and
 * the op's own state ({@link FusedOpStep}); for the selection, the same memory and a
 * selection scratch, selecting GSM's threshold over it; for the copy, a source and a destination
 * buffer, copied by the backend's own copy (the GPU's device-to-device copy; on the CPU a
 * copy split over the same workers the fused steps use). Weights and gradients hold seeded random values, so nothing is denormal and
 * nothing is trivially zero. The backend is borrowed, not owned.
 */
public final class FlatStepFixture implements AutoCloseable {
    /** gRDA at the paper's CIFAR settings scale; the values do not change the work per step. */
    /** gRDA's benchmark settings, as StepKind hands them to the registry. */
    private static final GrdaSpec GRDA = (GrdaSpec) StepKind.GRDA.spec();
    static final double GRDA_LR = GRDA.lr(), GRDA_C = GRDA.c(), GRDA_MU = GRDA.mu();
    /** SGD's benchmark lr (both SGD kinds). */
    static final double SGD_LR = StepKind.SGD.spec().lr();
    /** sDprun's benchmark weight is [size / 4096, 4096]: 4096-element rows, as VGG-16's fc7 (16M) has. */
    static final int SDPRUN_ROW = 4096;
    /** Host staging is filled and uploaded in chunks, so a 256M-parameter setup needs only 4 MiB of host memory. */
    private static final int CHUNK = 1 << 20;

    private final Backend backend;
    private final StepKind kind;
    private final int size;
    private final FlatMemory memory;       // optimizers and the selection
    private final Optimizer optimizer;     // optimizers only
    private final FusedOpStep op;          // op-level kinds only
    private final Buffer copySrc, copyDst; // copy only
    private final Tensor src, dst;
    private final Buffer selectScratch;    // selection only
    private final Tensor selectW, selectG, selectState;

    private FlatStepFixture(Backend backend, StepKind kind, int size, long seed) {
        if (size <= 0) throw new IllegalArgumentException("benchmark size must be a positive parameter count, got " + size);
        this.backend = backend;
        this.kind = kind;
        this.size = size;
        if (kind == StepKind.COPY) {
            memory = null;
            optimizer = null;
            selectScratch = null;
            selectW = selectG = selectState = null;
            op = null;
            copySrc = backend.allocate(size, "copy.src");
            copyDst = backend.allocate(size, "copy.dst");
            src = new Tensor(copySrc, 0, size);
            dst = new Tensor(copyDst, 0, size);
            fillRandom(backend, src, seed);
        } else {
            copySrc = copyDst = null;
            src = dst = null;
            Planner plan = new Planner(backend, 1);
            // zeros here (cheap); the random values are written below, before the optimizer copies them
            if (kind == StepKind.SDPRUN) {
                // sDprun needs a weight with groups: rows of SDPRUN_ROW (one tensor of the rest when size is not a multiple)
                int rows = size / SDPRUN_ROW, rest = size % SDPRUN_ROW;
                if (rows > 0) plan.param("w", new int[]{rows, SDPRUN_ROW}, ParamGroup.WEIGHTS, Init.ZEROS, 1);
                if (rest > 0) plan.param("w.rest", new int[]{1, rest}, ParamGroup.WEIGHTS, Init.ZEROS, 1);
            } else {
                plan.param("w", new int[]{size}, ParamGroup.WEIGHTS, Init.ZEROS, 1);
            }
            memory = new FlatMemory(plan, seed);
            fillRandom(backend, memory.groupView(memory.params(), ParamGroup.WEIGHTS), seed);
            fillRandom(backend, memory.groupView(memory.grads(), ParamGroup.WEIGHTS), seed + 1);
            optimizer = kind.isOptimizer() ? kind.spec().build(memory.paramSpace()) : null;
            boolean select = kind == StepKind.SELECT;
            selectScratch = select ? backend.allocate(backend.selects().scratchWords(size), "select.scratch") : null;
            selectW = select ? memory.groupView(memory.params(), ParamGroup.WEIGHTS) : null;
            selectG = select ? memory.groupView(memory.grads(), ParamGroup.WEIGHTS) : null;
            selectState = select ? new Tensor(selectScratch, 0, Math.toIntExact(selectScratch.words())) : null;
            op = kind.fusedOp() == null ? null : FusedOpStep.open(memory.paramSpace(), kind.fusedOp(), seed + 2);
        }
        backend.synchronize();
    }

    /** Builds the buffers (and optimizer) for one kind and size on {@code backend}. */
    public static FlatStepFixture open(Backend backend, StepKind kind, int size, long seed) {
        return new FlatStepFixture(backend, kind, size, seed);
    }

    /** One step (asynchronous on a GPU backend: call {@link Backend#synchronize()} to wait). */
    public void step() {
        if (optimizer != null) optimizer.step(1.0);
        else if (selectState != null) backend.selects().kthLargest(Score.SALIENCY, selectW, selectG, null, StepKind.selectK(size), selectState);
        else if (op != null) op.step();
        else backend.copy(src, dst);
    }

    /** The selection's scratch (null for the other kinds): tests read the selection from it. */
    public Tensor selectScratch() { return selectState; }

    public StepKind kind() { return kind; }
    public int size() { return size; }
    public Backend backend() { return backend; }

    /** Bytes of optimizer state (0 for the copy and for plain SGD; an op-level kind's momentum and mask), or of the selection's scratch. */
    public long stateBytes() {
        return optimizer != null ? optimizer.stateBytes() : op != null ? op.stateBytes() : selectScratch != null ? 4 * selectScratch.words() : 0;
    }

    /** The parameter buffer (null for the copy): tests read it to check a step happened. */
    public Buffer params() { return memory == null ? null : memory.params(); }

    /** The copy's destination (null for the optimizers). */
    public Buffer copyDestination() { return copyDst; }

    /** Uniform values in [-1, 1), seeded, uploaded chunk by chunk. */
    static void fillRandom(Backend backend, Tensor t, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * CHUNK, 64);
            for (long start = 0; start < t.size(); start += CHUNK) {
                int n = (int) Math.min(CHUNK, t.size() - start);
                for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (2 * rng.nextDouble() - 1));
                backend.upload(host, t.range(start, n));
                // upload may be asynchronous; the staging chunk is reused right away
                backend.synchronize();
            }
        }
    }

    @Override
    public void close() {
        if (selectScratch != null) selectScratch.close();
        if (optimizer != null) optimizer.close();
        if (op != null) op.close();
        if (memory != null) memory.close();
        if (copySrc != null) copySrc.close();
        if (copyDst != null) copyDst.close();
    }
}
