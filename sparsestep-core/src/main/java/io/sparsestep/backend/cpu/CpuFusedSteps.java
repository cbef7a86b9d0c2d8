package io.sparsestep.backend.cpu;

import io.sparsestep.backend.StepChecks;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The fused optimizer steps as single-threaded kernels on raw host memory: the embedding
 * API for a framework that keeps its parameters in native float arrays, and the one
 * implementation {@link CpuStepOps} runs on each of the backend's parallel chunks.
 *
 * <p>Segments hold float32 in native byte order; {@code n} elements are used from the
 * start of each. Every step is one pass with no temporaries. Arithmetic is plain float32
 * multiply and add (never fused into an FMA), in the order the formulas are written, so
 * the vector lanes and the scalar tail give bitwise identical results.
 */
public final class CpuFusedSteps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private CpuFusedSteps() {
    }

    /**
     * Float lanes per vector on this machine: a range of n elements runs n / lanes() vectors
     * and an n % lanes() scalar tail. Package-private so tests pick sizes that reach both.
     */
    static int lanes() {
        return V;
    }

    /**
     * One gRDA step: {@code acc = acc - lr*g; w = sign(acc) * max(|acc| - tau, 0)}. Reads g
     * and acc, writes acc and w, never reads w. With tau = 0, w equals acc bitwise.
     *
     * @return the number of zeros written to w
     */
    public static long grdaStep(MemorySegment w, MemorySegment g, MemorySegment acc, long n, float lr, float tau) {
        checkSegment(w, n, "w");
        checkSegment(g, n, "g");
        checkSegment(acc, n, "acc");
        StepChecks.tau(tau);
        return grdaStep(w, 0, g, 0, acc, 0, n, lr, tau);
    }

    /**
     * One SGD step with PyTorch's semantics, all in float32:
     * {@code d = g + wd*w; buf = firstStep ? d : momentum*buf + (1-dampening)*d;
     * d = nesterov ? d + momentum*buf : buf; w = w - lr*d}. Without momentum (0) the
     * buffer is not touched and may be null. g is not modified.
     */
    public static void sgdStep(MemorySegment w, MemorySegment g, MemorySegment momentumBuf, long n, float lr,
                               float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        checkSegment(w, n, "w");
        checkSegment(g, n, "g");
        if (momentum != 0f) checkSegment(momentumBuf, n, "momentumBuf");
        StepChecks.sgd(momentum, nesterov, dampening);
        sgdStep(w, 0, g, 0, momentumBuf, 0, n, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    // ------------------------------------------------------------------ kernels on element offsets

    /** gRDA over elements [wOff, wOff+n) of w (and the matching ranges of g and acc); returns zeros written. */
    static long grdaStep(MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment acc, long accOff,
                         long n, float lr, float tau) {
        long zeros = 0;
        long i = 0;
        long bound = n - n % V;
        // The CPU reads every line it writes anyway (write-allocate; Java has no streaming
        // store), and a store miss is fetched slower than a load the prefetcher sees coming.
        // So w is loaded first and kept alive by a blend under a mask that is never set (tau
        // is never negative, but the JIT cannot know): ~10% faster at 64M, same result bits.
        VectorMask<Float> never = SPECIES.maskAll(tau < 0f);
        for (; i < bound; i += V) {
            long wb = (wOff + i) * Float.BYTES, gb = (gOff + i) * Float.BYTES, ab = (accOff + i) * Float.BYTES;
            FloatVector old = FloatVector.fromMemorySegment(SPECIES, w, wb, ORDER);
            FloatVector a = FloatVector.fromMemorySegment(SPECIES, acc, ab, ORDER)
                    .sub(FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER).mul(lr));
            a.intoMemorySegment(acc, ab, ORDER);
            // S_tau(a) = a - clamp(a, -tau, tau): a - tau above, a + tau below, and a - a = +0.0
            // inside, bit for bit the grda_step kernel's result, in three vector ops.
            FloatVector wv = a.sub(a.max(-tau).min(tau)).blend(old, never);
            zeros += wv.eq(0f).trueCount();
            wv.intoMemorySegment(w, wb, ORDER);
        }
        for (; i < n; i++) {
            float a = acc.getAtIndex(F, accOff + i) - lr * g.getAtIndex(F, gOff + i);
            acc.setAtIndex(F, accOff + i, a);
            float wv = a - Math.min(Math.max(a, -tau), tau);
            if (wv == 0f) zeros++;
            w.setAtIndex(F, wOff + i, wv);
        }
        return zeros;
    }

    /** SGD over elements [wOff, wOff+n) of w (and the matching ranges of g and the buffer). */
    static void sgdStep(MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment buf, long bufOff,
                        long n, float lr, float momentum, float dampening, float weightDecay,
                        boolean nesterov, boolean firstStep) {
        boolean decay = weightDecay != 0f;
        boolean useMomentum = momentum != 0f;
        float keep = 1f - dampening;
        long i = 0;
        long bound = n - n % V;
        // The options are lane masks fixed before the loop, never branches inside it: a vector
        // chosen by a branch (a phi) makes C2 box every vector, which allocated ~14 bytes per
        // iteration and ran SGD-momentum 4x slower than its bytes explain. A masked add or a
        // blend keeps the unselected lane bit for bit, so the semantics are PyTorch's exactly.
        VectorMask<Float> withDecay = SPECIES.maskAll(decay);
        VectorMask<Float> first = SPECIES.maskAll(firstStep);
        VectorMask<Float> withNesterov = SPECIES.maskAll(nesterov);
        if (useMomentum) {
            for (; i < bound; i += V) {
                long wb = (wOff + i) * Float.BYTES, gb = (gOff + i) * Float.BYTES, bb = (bufOff + i) * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, wb, ORDER);
                FloatVector d = FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER).add(wv.mul(weightDecay), withDecay);
                FloatVector b = FloatVector.fromMemorySegment(SPECIES, buf, bb, ORDER).mul(momentum).add(d.mul(keep))
                        .blend(d, first);
                b.intoMemorySegment(buf, bb, ORDER);
                FloatVector step = b.blend(d.add(b.mul(momentum)), withNesterov);
                wv.sub(step.mul(lr)).intoMemorySegment(w, wb, ORDER);
            }
        } else {
            for (; i < bound; i += V) {
                long wb = (wOff + i) * Float.BYTES, gb = (gOff + i) * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, wb, ORDER);
                FloatVector d = FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER).add(wv.mul(weightDecay), withDecay);
                wv.sub(d.mul(lr)).intoMemorySegment(w, wb, ORDER);
            }
        }
        for (; i < n; i++) {
            float wv = w.getAtIndex(F, wOff + i);
            float d = g.getAtIndex(F, gOff + i);
            if (decay) d = d + weightDecay * wv;
            if (useMomentum) {
                float b = firstStep ? d : momentum * buf.getAtIndex(F, bufOff + i) + keep * d;
                buf.setAtIndex(F, bufOff + i, b);
                d = nesterov ? d + momentum * b : b;
            }
            w.setAtIndex(F, wOff + i, wv - lr * d);
        }
    }

    // ------------------------------------------------------------------ argument checks

    private static void checkSegment(MemorySegment s, long n, String name) {
        if (n < 0) throw new IllegalArgumentException("element count must be >= 0, got " + n);
        if (s == null) throw new IllegalArgumentException(name + " is null; pass a segment of at least " + n + " floats");
        if (s.byteSize() < n * Float.BYTES) {
            throw new IllegalArgumentException(name + " holds " + s.byteSize() / Float.BYTES + " floats, the step needs " + n);
        }
    }
}
