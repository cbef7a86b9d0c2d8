package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One fused op of {@code StepOps} called directly on a flat parameter space, with the state
 * it reads: the benchmark's op-level rows, which time a kernel on its own (no optimizer, no
 * registered method). Both run momentum 0.9, lr 0.01, no weight decay, no Nesterov, past the
 * first step (the momentum buffer is read), like the SGD-momentum row they are compared with.
 *
 * <ul>
 *   <li>GSM ({@link StepKind.FusedOp#GSM}): a threshold word on the backend that selects 5% of
 *   the entries, the ratio (for independent uniform g, w in [-1, 1),
 *   {@code P(|g*w| >= t) = 1 - t + t ln t}, 5% at {@link #GSM_THRESHOLD}). The selection that
 *   would write it each step (SelectOps) is not in the time.</li>
 *   <li>Masked SGD ({@link StepKind.FusedOp#MASKED_SGD}): a seeded mask keeping 5%, pruned
 *   weights held at +0.0, as a pruning method's fine-tuning steps it.</li>
 * </ul>
 * The kernels are branch-free in the gate, so the 5% changes no work per step, only what a
 * step changes.
 */
final class FusedOpStep implements AutoCloseable {
    static final float GSM_THRESHOLD = 0.70092f;
    static final double MASK_DENSITY = 0.05;
    static final float LR = 0.01f, MOMENTUM = 0.9f;
    /** Mask bytes are drawn and uploaded in pieces this long. */
    private static final int CHUNK = 1 << 20;

    private final Backend backend;
    private final StepKind.FusedOp op;
    private final Tensor w, g;
    private final ParamBuffer momentum;
    private final Buffer threshold; // GSM only
    private final Mask mask;        // masked SGD only

    private FusedOpStep(ParamSpace space, StepKind.FusedOp op, long seed) {
        this.backend = space.backend();
        this.op = op;
        this.w = space.values().group(ParamGroup.WEIGHTS);
        this.g = space.grads().group(ParamGroup.WEIGHTS);
        this.momentum = space.allocateLike("bench.momentum");
        if (op == StepKind.FusedOp.GSM) {
            threshold = backend.allocate(1, "bench.gsm.threshold");
            backend.elementwise().fill(new Tensor(threshold, 0, 1), GSM_THRESHOLD);
            mask = null;
        } else {
            threshold = null;
            mask = Mask.keepingAll(space, "bench.mask");
            uploadRandomMask(backend, mask.all(), seed);
        }
    }

    /** The op's state next to the parameters of {@code space} (its weights group): momentum, and the threshold or the mask. */
    static FusedOpStep open(ParamSpace space, StepKind.FusedOp op, long seed) {
        return new FusedOpStep(space, op, seed);
    }

    /**
     * Seeded bytes, 1 with probability {@link #MASK_DENSITY} (SplittableRandom(seed), in order),
     * uploaded through a small native staging chunk, so a 256M-weight mask needs 1 MiB of host memory.
     */
    static void uploadRandomMask(Backend backend, Tensor mask, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(CHUNK, 64);
            for (long start = 0; start < mask.size(); start += CHUNK) {
                int n = (int) Math.min(CHUNK, mask.size() - start);
                for (int i = 0; i < n; i++) host.set(ValueLayout.JAVA_BYTE, i, r.nextDouble() < MASK_DENSITY ? (byte) 1 : 0);
                backend.upload(host, mask.range(start, n));
                backend.synchronize(); // the staging chunk is reused right away
            }
        }
    }

    void step() {
        Tensor m = momentum.group(ParamGroup.WEIGHTS);
        if (op == StepKind.FusedOp.GSM) {
            backend.steps().gsm(w, g, m, new Tensor(threshold, 0, 1), LR, MOMENTUM, 0f, false, false);
        } else {
            backend.steps().maskedSgd(w, g, m, mask.all(), LR, MOMENTUM, 0f, 0f, false, false, true);
        }
    }

    /** The momentum buffer, plus the mask (one byte per weight) for masked SGD; the threshold word is not counted. */
    long stateBytes() {
        return 4 * momentum.buffer().words() + (mask == null ? 0 : mask.size());
    }

    @Override
    public void close() {
        momentum.close();
        if (threshold != null) threshold.close();
        if (mask != null) mask.close();
    }
}
