package io.sparsestep.backend.cpu;

import io.sparsestep.backend.StepChecks;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
        checkGrda(w, g, acc, n, tau);
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

    /**
     * One masked SGD step ({@code StepOps.maskedSgd} on raw memory, the same kernel): SGD with
     * PyTorch's semantics as {@link #sgdStep} on {@code g' = mask ? g : +0} ({@code mask}: n
     * bytes, non-zero keeps), so a pruned weight gets no gradient but still its weight decay and
     * momentum; then, with {@code zeroPruned}, every pruned weight is set to +0.0. g and the
     * mask are not modified; without momentum (0) the buffer is not touched and may be null.
     */
    public static void maskedSgdStep(MemorySegment w, MemorySegment g, MemorySegment momentumBuf, MemorySegment mask, long n, float lr,
                                     float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep,
                                     boolean zeroPruned) {
        checkSegment(w, n, "w");
        checkSegment(g, n, "g");
        if (momentum != 0f) checkSegment(momentumBuf, n, "momentumBuf");
        if (mask == null || mask.byteSize() < n) {
            throw new IllegalArgumentException("mask holds " + (mask == null ? "no" : mask.byteSize()) + " bytes, the step needs " + n);
        }
        StepChecks.sgd(momentum, nesterov, dampening);
        CpuMaskedSteps.masked(w, g, momentum != 0f ? momentumBuf : null, mask, 0, n,
                new CpuMaskedSteps.Hyper(lr, momentum, dampening, weightDecay, nesterov, firstStep), zeroPruned);
    }

    /**
     * One gRDA step for a framework that applies an update itself ({@code w -= u}, as DL4J
     * does after its updaters): {@code acc = acc - lr*g; s = S_tau(acc)} as {@link #grdaStep},
     * then the update is written over g so that the framework's float subtraction lands on s
     * bit for bit. Where {@code w - (w - s) == s} (raw bits), {@code u = w - s} and w is not
     * touched. That rounding is not always exact (s much smaller than w, or of the other sign:
     * {@code w - s} then loses the low bits of s, e.g. w = 1, s = 1e-10 gives u = 1 and
     * {@code w - u = 0}), and no u at all reaches such an s from that w (every {@code 1 - u} near
     * 1 is a multiple of 2^-24); there u = +0.0 and s is written into w directly, so
     * {@code w - 0 = s}. After the framework's step w therefore holds exactly what
     * {@link #grdaStep} writes, pruned weights as +0.0 ({@code w - (w - 0) = +0.0} too).
     *
     * <p>Reads w, g and acc, writes acc and g: 20 bytes per parameter, plus a store of w for a
     * vector (4 bytes per lane) in which any lane needs the repair.
     *
     * @return the number of zeros in s (what w holds after the framework's subtraction)
     */
    public static long grdaUpdate(MemorySegment w, MemorySegment g, MemorySegment acc, long n, float lr, float tau) {
        checkGrda(w, g, acc, n, tau);
        return grdaUpdate(w, 0, g, 0, acc, 0, n, lr, tau);
    }

    /**
     * One SGD step for a framework that applies an update itself ({@code w -= u}): g is
     * overwritten with {@code u = lr*d}, d being {@link #sgdStep}'s step direction without
     * weight decay ({@code d = g}; with momentum {@code buf = firstStep ? g :
     * momentum*buf + (1-dampening)*g}, {@code d = nesterov ? g + momentum*buf : buf}). The
     * framework's {@code w - u} is then {@link #sgdStep}'s w at weight decay 0 bit for bit,
     * since that is the same multiply and subtraction. Weight decay needs w and is left to
     * the framework. Reads and writes g (and the buffer with momentum): 8 bytes per parameter,
     * 16 with momentum. Without momentum (0) the buffer is not touched and may be null.
     */
    public static void sgdUpdate(MemorySegment g, MemorySegment momentumBuf, long n, float lr, float momentum, float dampening,
                                 boolean nesterov, boolean firstStep) {
        checkSegment(g, n, "g");
        if (momentum != 0f) checkSegment(momentumBuf, n, "momentumBuf");
        StepChecks.sgd(momentum, nesterov, dampening);
        sgdUpdate(g, 0, momentumBuf, 0, n, lr, momentum, dampening, nesterov, firstStep);
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
            FloatVector a = accumulate(acc, ab, g, gb, lr);
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

    /** gRDA's dual step on one vector: {@code acc = acc - lr*g} at byte offsets ab and gb, stored and returned. */
    private static FloatVector accumulate(MemorySegment acc, long ab, MemorySegment g, long gb, float lr) {
        FloatVector a = FloatVector.fromMemorySegment(SPECIES, acc, ab, ORDER)
                .sub(FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER).mul(lr));
        a.intoMemorySegment(acc, ab, ORDER);
        return a;
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

    /** {@link #grdaUpdate(MemorySegment, MemorySegment, MemorySegment, long, float, float)} over element ranges; returns the zeros of s. */
    static long grdaUpdate(MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment acc, long accOff,
                           long n, float lr, float tau) {
        long zeros = 0;
        long i = 0;
        long bound = n - n % V;
        for (; i < bound; i += V) {
            long wb = (wOff + i) * Float.BYTES, gb = (gOff + i) * Float.BYTES, ab = (accOff + i) * Float.BYTES;
            FloatVector old = FloatVector.fromMemorySegment(SPECIES, w, wb, ORDER);
            FloatVector a = accumulate(acc, ab, g, gb, lr);
            FloatVector s = a.sub(a.max(-tau).min(tau)); // S_tau(a), as grdaStep
            FloatVector u = old.sub(s);
            // raw bits, so neither a sign of zero nor a NaN passes for the other
            VectorMask<Float> missed = old.sub(u).reinterpretAsInts().compare(VectorOperators.NE, s.reinterpretAsInts()).cast(SPECIES);
            u.blend(0f, missed).intoMemorySegment(g, gb, ORDER);
            if (missed.anyTrue()) old.blend(s, missed).intoMemorySegment(w, wb, ORDER);
            zeros += s.eq(0f).trueCount();
        }
        for (; i < n; i++) {
            float a = acc.getAtIndex(F, accOff + i) - lr * g.getAtIndex(F, gOff + i);
            acc.setAtIndex(F, accOff + i, a);
            float s = a - Math.min(Math.max(a, -tau), tau);
            float old = w.getAtIndex(F, wOff + i);
            float u = old - s;
            if (Float.floatToRawIntBits(old - u) == Float.floatToRawIntBits(s)) {
                g.setAtIndex(F, gOff + i, u);
            } else {
                g.setAtIndex(F, gOff + i, 0f);
                w.setAtIndex(F, wOff + i, s);
            }
            if (s == 0f) zeros++;
        }
        return zeros;
    }

    /** {@link #sgdUpdate(MemorySegment, MemorySegment, long, float, float, float, boolean, boolean)} over element ranges. */
    static void sgdUpdate(MemorySegment g, long gOff, MemorySegment buf, long bufOff, long n, float lr, float momentum,
                          float dampening, boolean nesterov, boolean firstStep) {
        long bound = n - n % V;
        if (momentum == 0f) {
            long i = 0;
            for (; i < bound; i += V) {
                long gb = (gOff + i) * Float.BYTES;
                FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER).mul(lr).intoMemorySegment(g, gb, ORDER);
            }
            for (; i < n; i++) g.setAtIndex(F, gOff + i, lr * g.getAtIndex(F, gOff + i));
            return;
        }
        float keep = 1f - dampening;
        // lane masks, not branches, choose the vectors, for the reason sgdStep gives
        VectorMask<Float> takeGradient = SPECIES.maskAll(firstStep), lookAhead = SPECIES.maskAll(nesterov);
        long i = 0;
        for (; i < bound; i += V) {
            long gb = (gOff + i) * Float.BYTES, bb = (bufOff + i) * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(SPECIES, g, gb, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(SPECIES, buf, bb, ORDER).mul(momentum).add(d.mul(keep)).blend(d, takeGradient);
            b.intoMemorySegment(buf, bb, ORDER);
            b.blend(d.add(b.mul(momentum)), lookAhead).mul(lr).intoMemorySegment(g, gb, ORDER);
        }
        for (; i < n; i++) {
            float d = g.getAtIndex(F, gOff + i);
            float b = firstStep ? d : momentum * buf.getAtIndex(F, bufOff + i) + keep * d;
            buf.setAtIndex(F, bufOff + i, b);
            g.setAtIndex(F, gOff + i, lr * (nesterov ? d + momentum * b : b));
        }
    }

    // ------------------------------------------------------------------ argument checks

    private static void checkGrda(MemorySegment w, MemorySegment g, MemorySegment acc, long n, float tau) {
        checkSegment(w, n, "w");
        checkSegment(g, n, "g");
        checkSegment(acc, n, "acc");
        StepChecks.tau(tau);
    }

    private static void checkSegment(MemorySegment s, long n, String name) {
        if (n < 0) throw new IllegalArgumentException("element count must be >= 0, got " + n);
        if (s == null) throw new IllegalArgumentException(name + " is null; pass a segment of at least " + n + " floats");
        if (s.byteSize() < n * Float.BYTES) {
            throw new IllegalArgumentException(name + " holds " + s.byteSize() / Float.BYTES + " floats, the step needs " + n);
        }
    }
}
