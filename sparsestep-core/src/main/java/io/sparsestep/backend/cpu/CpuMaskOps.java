package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.MaskChecks;
import io.sparsestep.backend.MaskOps;
import io.sparsestep.backend.Philox;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU twin of kernels/mask.cu: masks are one byte per weight (1 kept, 0 pruned). Every
 * op is a select or a comparison, exact, so it agrees with the GPU bit for bit. Pruned
 * entries are written +0.0, as gRDA writes them.
 */
final class CpuMaskOps implements MaskOps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

    private final CpuBackend be;

    CpuMaskOps(CpuBackend be) { this.be = be; }

    @Override
    public void apply(Tensor mask, Tensor x) {
        Tensor.requireSameSize("mask apply", mask, x);
        MemorySegment m = be.bytes(mask, "mask", DType.U8), xs = be.bytes(x, "masked tensor", DType.F32);
        be.chunked(x.size(), (worker, start, count) -> {
            for (long i = start; i < start + count; i++) {
                if (m.get(B, i) == 0) xs.setAtIndex(F, i, 0f);
            }
        });
    }

    @Override
    public long countKept(Tensor mask) {
        MemorySegment m = be.bytes(mask, "mask", DType.U8);
        AtomicLong kept = new AtomicLong(); // integer sums: any order gives the same count
        be.chunked(mask.size(), (worker, start, count) -> {
            long k = 0;
            for (long i = start; i < start + count; i++) k += m.get(B, i) != 0 ? 1 : 0;
            kept.addAndGet(k);
        });
        return kept.get();
    }

    @Override
    public void fromMagnitude(Tensor x, float threshold, Tensor mask) {
        Tensor.requireSameSize("mask fromMagnitude", x, mask);
        MemorySegment xs = be.bytes(x, "magnitudes", DType.F32), m = be.bytes(mask, "mask", DType.U8);
        be.chunked(x.size(), (worker, start, count) -> {
            for (long i = start; i < start + count; i++) {
                // !(<=) keeps NaN, as the kernel does
                m.set(B, i, !(Math.abs(xs.getAtIndex(F, i)) <= threshold) ? (byte) 1 : (byte) 0);
            }
        });
    }

    @Override
    public void dropStep(Tensor w, Tensor mask, Tensor survivors, Tensor saved, long seed, long round, long indexBase, float p, float q) {
        MaskChecks.dropStep(w, mask, survivors, saved, indexBase, p, q);
        MemorySegment ws = be.bytes(w, "dropped weights", DType.F32), m = be.bytes(mask, "mask", DType.U8);
        MemorySegment sv = be.bytes(survivors, "survivors mask", DType.U8);
        MemorySegment keep = saved == null ? null : be.bytes(saved, "saved weights", DType.F32);
        be.chunked(w.size(), (worker, start, count) -> {
            for (long i = start; i < start + count; i++) {
                if (m.get(B, i) != 0) {
                    if (sv.get(B, i) == 0 && Philox.uniform(seed, indexBase + i, round, 0) < p) {
                        if (keep != null) keep.setAtIndex(F, i, ws.getAtIndex(F, i));
                        ws.setAtIndex(F, i, 0f);
                        m.set(B, i, (byte) 0);
                    }
                } else if (Philox.uniform(seed, indexBase + i, round, 1) < q) {
                    m.set(B, i, (byte) 1);
                    ws.setAtIndex(F, i, keep != null ? keep.getAtIndex(F, i) : 0f);
                }
            }
        });
    }
}
