package io.sparsestep.backend.cuda;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.SelectChecks;
import io.sparsestep.backend.SelectOps;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * kernels/select.cu behind {@link SelectOps}. A selection is seven launches on the stream
 * (init, then a histogram pass and a one-block digit pick per digit) that keep their state
 * in the scratch on the device, so nothing waits for the host: the threshold is in scratch
 * word 0 when the last pick has run, where a fused step launched after it reads it.
 * {@link #read} is the one download (8 words). keepTop is one pass with every tie kept, or
 * three launches (tie counts per chunk, their scan, the ranked mask) with ties broken by
 * index.
 *
 * <p>Scratch: {@value #STATE_WORDS} state words (threshold, valid, above, equal,
 * candidates, NaN count, k as two words, the digit prefix, the k still to find), the
 * {@value #BINS}-bin histogram, then one tie count per {@value #CHUNK} entries. Counts are
 * 32-bit on the device, so one range holds at most 2^32 - 1 entries.
 */
final class CudaSelectOps implements SelectOps {
    static final int STATE_WORDS = 16, BINS = 2048, CHUNK = 4096;
    /** The words {@link #read} downloads: threshold, valid, above, equal, candidates, NaN, k low, k high. */
    private static final int RESULT_WORDS = 8;
    /** The one-block kernels (init, pick, tie scan): 8 histogram bins per thread. */
    private static final int ONE_BLOCK = LaunchConfig.BLOCK;
    private static final long MAX_ENTRIES = 0xFFFF_FFFFL;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private final CudaBackend be;
    private final MemorySegment host = Arena.ofAuto().allocate(4L * RESULT_WORDS, 16);

    CudaSelectOps(CudaBackend be) { this.be = be; }

    @Override
    public long scratchWords(long n) {
        return STATE_WORDS + BINS + Math.ceilDiv(n, CHUNK);
    }

    /** Device pointers of one call's operands; g and candidates 0 (NULL) when absent. */
    private record Operands(long w, long g, long candidates, long n, long scratch) {}

    private Operands operands(String op, Score score, Tensor w, Tensor g, Tensor candidates, Tensor scratch) {
        be.enter();
        SelectChecks.operands(op, score, w, g, candidates);
        long n = w.size();
        if (n > MAX_ENTRIES) {
            throw new IllegalArgumentException(op + ": " + w + " has " + n + " entries; the CUDA selection counts in 32 bits, at most "
                    + MAX_ENTRIES + " per range: select over smaller ranges");
        }
        long pw = be.ptr(w, op + " weights w", DType.F32);
        long pg = score == Score.SALIENCY ? be.ptr(g, op + " gradient g", DType.F32) : 0;
        long pc = candidates == null ? 0 : be.ptr(candidates, op + " candidates mask", DType.U8);
        return new Operands(pw, pg, pc, n, scratch(scratch, scratchWords(n)));
    }

    private long scratch(Tensor scratch, long words) {
        long p = be.ptr(scratch, "selection scratch", DType.F32);
        CudaBackend.atLeast("selection scratch", scratch, words);
        return p;
    }

    @Override
    public void kthLargest(Score score, Tensor w, Tensor g, Tensor candidates, long k, Tensor scratch) {
        Operands o = operands("kthLargest", score, w, g, candidates, scratch);
        SelectChecks.k(k);
        LoadedKernels kernels = be.kernels();
        LaunchConfig one = new LaunchConfig(1, ONE_BLOCK), flat = LaunchConfig.flat(o.n, be.multiprocessors());
        kernels.launch(KernelSignature.SELECT_INIT, one, be.stream(), KernelArgs.begin().ptr(o.scratch).u64(k));
        for (int level = 0; level < 3; level++) {
            kernels.launch(KernelSignature.SELECT_HISTOGRAM, flat, be.stream(),
                    KernelArgs.begin().ptr(o.w).ptr(o.g).ptr(o.candidates).u64(o.n).ptr(o.scratch).i32(level));
            kernels.launch(KernelSignature.SELECT_PICK, one, be.stream(), KernelArgs.begin().ptr(o.scratch).i32(level));
        }
    }

    @Override
    public Tensor threshold(Tensor scratch) {
        return scratch.range(0, 1);
    }

    @Override
    public Selection read(Tensor scratch) {
        be.enter();
        scratch(scratch, STATE_WORDS);
        be.download(scratch.range(0, RESULT_WORDS), host);
        long k = unsigned(6) | (unsigned(7) << 32);
        return new Selection(Float.intBitsToFloat(word(0)), unsigned(2), unsigned(3), unsigned(4), unsigned(5), k);
    }

    private int word(int i) { return host.getAtIndex(I, i); }

    private long unsigned(int i) { return Integer.toUnsignedLong(word(i)); }

    @Override
    public void keepTop(Score score, Tensor w, Tensor g, Tensor candidates, Ties ties, Tensor scratch, Tensor mask) {
        Operands o = operands("keepTop", score, w, g, candidates, scratch);
        SelectChecks.keepTop(ties, w, mask);
        long pm = be.ptr(mask, "keepTop mask", DType.U8);
        LoadedKernels kernels = be.kernels();
        if (ties == Ties.KEEP_ALL) {
            kernels.launch(KernelSignature.SELECT_KEEP, LaunchConfig.flat(o.n, be.multiprocessors()), be.stream(),
                    KernelArgs.begin().ptr(o.w).ptr(o.g).ptr(o.candidates).u64(o.n).ptr(o.scratch).ptr(pm));
            return;
        }
        // one block per chunk of CHUNK entries, at most a full-occupancy wave (the blocks stride over the rest)
        LaunchConfig chunks = new LaunchConfig((int) Math.max(1, Math.min(Math.ceilDiv(o.n, CHUNK), be.maxFlatGrid())), LaunchConfig.BLOCK);
        kernels.launch(KernelSignature.SELECT_TIE_COUNTS, chunks, be.stream(),
                KernelArgs.begin().ptr(o.w).ptr(o.g).ptr(o.candidates).u64(o.n).ptr(o.scratch));
        kernels.launch(KernelSignature.SELECT_TIE_SCAN, new LaunchConfig(1, ONE_BLOCK), be.stream(), KernelArgs.begin().ptr(o.scratch).u64(o.n));
        kernels.launch(KernelSignature.SELECT_KEEP_RANKED, chunks, be.stream(),
                KernelArgs.begin().ptr(o.w).ptr(o.g).ptr(o.candidates).u64(o.n).ptr(o.scratch).ptr(pm));
    }
}
