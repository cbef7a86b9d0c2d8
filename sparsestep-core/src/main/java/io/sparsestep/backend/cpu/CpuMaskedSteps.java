package io.sparsestep.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The single-threaded bodies of the masked optimizer steps (kernels/optim.cu:
 * {@code gsm_step}, {@code masked_sgd_step}): GSM's score-gated momentum SGD and SGD under a
 * fixed mask. Each element's arithmetic is {@link CpuFusedSteps#sgdStep}'s, on a gated
 * gradient, with every product and sum rounded separately, so the kernels match bit for bit.
 *
 * <p>A range runs whole vectors of {@link CpuFusedSteps#lanes()} floats, then a scalar tail
 * with the same rule written per element. As in {@link CpuFusedSteps}, the options are lane
 * masks fixed before the loop and the gate is a blend, never a branch that picks a vector:
 * an unselected or pruned lane gets +0.0 as its gradient, exactly the scalar {@code 0f}, and a
 * zeroed pruned weight is a blend with +0.0, so vector lanes and tail agree bit for bit.
 */
final class CpuMaskedSteps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** The mask bytes of one float vector (see {@link #byteSpeciesFor}). */
    private static final VectorSpecies<Byte> BYTES = byteSpeciesFor(SPECIES);
    private static final FloatVector ZERO = FloatVector.zero(SPECIES);

    private CpuMaskedSteps() {}

    /** The hyperparameters of one step, fixed for the range. */
    record Hyper(float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {}

    /**
     * GSM over [off, off+n): selected = |g*w| >= threshold (NaN never); d = (selected ? g : +0)
     * + wd*w; momentum with dampening 0; w -= lr*d'.
     */
    static void gsm(MemorySegment w, MemorySegment g, MemorySegment buf, long off, long n, float threshold, Hyper h) {
        long i = off, bound = off + n - n % V;
        float lr = h.lr(), momentum = h.momentum(), keep = 1f - h.dampening(), wd = h.weightDecay();
        VectorMask<Float> decay = SPECIES.maskAll(wd != 0f), first = SPECIES.maskAll(h.firstStep()), nesterov = SPECIES.maskAll(h.nesterov());
        // the threshold as a vector once: compare(GE, float) inside the loop re-broadcast it every iteration
        FloatVector thresholdV = FloatVector.broadcast(SPECIES, threshold);
        if (momentum != 0f) {
            for (; i < bound; i += V) {
                long b = i * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, b, ORDER), gv = FloatVector.fromMemorySegment(SPECIES, g, b, ORDER);
                // compare(GE) is false for a NaN score, like the scalar >=
                FloatVector d = ZERO.blend(gv, gv.mul(wv).abs().compare(VectorOperators.GE, thresholdV));
                withMomentum(wv, d, buf, b, lr, momentum, keep, wd, decay, first, nesterov).intoMemorySegment(w, b, ORDER);
            }
        } else {
            for (; i < bound; i += V) {
                long b = i * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, b, ORDER), gv = FloatVector.fromMemorySegment(SPECIES, g, b, ORDER);
                FloatVector d = ZERO.blend(gv, gv.mul(wv).abs().compare(VectorOperators.GE, thresholdV));
                wv.sub(d.add(wv.mul(wd), decay).mul(lr)).intoMemorySegment(w, b, ORDER);
            }
        }
        for (; i < off + n; i++) {
            float wi = w.getAtIndex(F, i), gi = g.getAtIndex(F, i);
            float gated = Math.abs(gi * wi) >= threshold ? gi : 0f;
            w.setAtIndex(F, i, apply(buf, i, wi, gated, h));
        }
    }

    /** SGD on g' = mask ? g : +0 over [off, off+n); then pruned weights set to +0 when {@code zeroPruned}. */
    static void masked(MemorySegment w, MemorySegment g, MemorySegment buf, MemorySegment mask, long off, long n, Hyper h,
                       boolean zeroPruned) {
        long i = off, bound = off + n - n % V;
        float lr = h.lr(), momentum = h.momentum(), keep = 1f - h.dampening(), wd = h.weightDecay();
        VectorMask<Float> decay = SPECIES.maskAll(wd != 0f), first = SPECIES.maskAll(h.firstStep()), nesterov = SPECIES.maskAll(h.nesterov());
        VectorMask<Float> zeroing = SPECIES.maskAll(zeroPruned);
        if (momentum != 0f) {
            for (; i < bound; i += V) {
                long b = i * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, b, ORDER), gv = FloatVector.fromMemorySegment(SPECIES, g, b, ORDER);
                VectorMask<Float> kept = keptLanes(SPECIES, BYTES, mask, i);
                FloatVector updated = withMomentum(wv, ZERO.blend(gv, kept), buf, b, lr, momentum, keep, wd, decay, first, nesterov);
                updated.blend(ZERO, kept.not().and(zeroing)).intoMemorySegment(w, b, ORDER);
            }
        } else {
            for (; i < bound; i += V) {
                long b = i * Float.BYTES;
                FloatVector wv = FloatVector.fromMemorySegment(SPECIES, w, b, ORDER), gv = FloatVector.fromMemorySegment(SPECIES, g, b, ORDER);
                VectorMask<Float> kept = keptLanes(SPECIES, BYTES, mask, i);
                FloatVector updated = wv.sub(ZERO.blend(gv, kept).add(wv.mul(wd), decay).mul(lr));
                updated.blend(ZERO, kept.not().and(zeroing)).intoMemorySegment(w, b, ORDER);
            }
        }
        for (; i < off + n; i++) {
            float wi = w.getAtIndex(F, i);
            boolean kept = mask.get(B, i) != 0;
            float updated = apply(buf, i, wi, kept ? g.getAtIndex(F, i) : 0f, h);
            w.setAtIndex(F, i, zeroPruned && !kept ? 0f : updated);
        }
    }

    /**
     * The float lanes at elements [i, i+lanes) whose mask byte is non-zero (any non-zero byte
     * keeps). With a byte vector of one lane per float lane the byte mask is cast lane for
     * lane (AVX2, AVX-512); below 8 float lanes no byte shape is that small, so the first
     * lanes' bytes are loaded under a prefix mask (never past them) and their mask bits moved
     * over, which costs more per vector. The hot loops pass {@link #SPECIES} and
     * {@link #BYTES} (constants: the branch folds away); a test passes every float shape.
     */
    static VectorMask<Float> keptLanes(VectorSpecies<Float> floats, VectorSpecies<Byte> bytes, MemorySegment mask, long i) {
        if (bytes.length() == floats.length()) {
            return ByteVector.fromMemorySegment(bytes, mask, i, ORDER).compare(VectorOperators.NE, 0).cast(floats);
        }
        VectorMask<Byte> nonZero = ByteVector.fromMemorySegment(bytes, mask, i, ORDER, bytes.indexInRange(0, floats.length()))
                .compare(VectorOperators.NE, 0);
        return VectorMask.fromLong(floats, nonZero.toLong());
    }

    /** Bytes for a float shape: a byte lane per float lane (the same count), but at least the smallest (64-bit) shape. */
    static VectorSpecies<Byte> byteSpeciesFor(VectorSpecies<Float> floats) {
        return VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * floats.length())));
    }

    /**
     * PyTorch's momentum step on the lanes' gated gradient d, as {@link CpuFusedSteps#sgdStep}'s
     * vector body: d += wd*w (decay lanes), buf = first ? d : momentum*buf + keep*d (stored),
     * d' = nesterov ? d + momentum*buf : buf; returns w - lr*d'. The buffer is loaded on the
     * first step too and blended away, so its old contents (even NaN) never reach a result.
     */
    private static FloatVector withMomentum(FloatVector wv, FloatVector d, MemorySegment buf, long b, float lr, float momentum,
                                            float keep, float wd, VectorMask<Float> decay, VectorMask<Float> first,
                                            VectorMask<Float> nesterov) {
        FloatVector dd = d.add(wv.mul(wd), decay);
        FloatVector m = FloatVector.fromMemorySegment(SPECIES, buf, b, ORDER).mul(momentum).add(dd.mul(keep)).blend(dd, first);
        m.intoMemorySegment(buf, b, ORDER);
        return wv.sub(m.blend(dd.add(m.mul(momentum)), nesterov).mul(lr));
    }

    /** PyTorch's SGD on one element with gradient d (updates the momentum buffer); returns the new weight. */
    private static float apply(MemorySegment buf, long i, float wi, float d, Hyper h) {
        if (h.weightDecay() != 0f) d = d + h.weightDecay() * wi;
        if (h.momentum() != 0f) {
            float b = h.firstStep() ? d : h.momentum() * buf.getAtIndex(F, i) + (1f - h.dampening()) * d;
            buf.setAtIndex(F, i, b);
            d = h.nesterov() ? d + h.momentum() * b : b;
        }
        return wi - h.lr() * d;
    }
}
