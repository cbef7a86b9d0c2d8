package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Convolution as im2col + GEMM. Per sample, the column matrix col[C*R*S, OH*OW] holds
 * each output position's receptive field, so
 * <pre>
 *   forward          y[i]  = W[K, CRS] x col[i]
 *   backward data    dcol  = W^T x dy[i];  dx[i] = col2im(dcol)
 *   backward filter  dW   += dy[i][K, OHW] x col[i]^T
 * </pre>
 * A 1x1, stride-1, unpadded convolution needs no column matrix: col[i] is x[i] itself.
 * Every convolution with a filter larger than 1x1 (strided ones through their stride
 * phases), on a vector unit wide enough, skips im2col altogether and runs as
 * {@link CpuImplicitConvolution}'s implicit GEMM, at any batch size; what follows is the
 * path of the rest (1x1 filters, and everything on narrower vector units).
 *
 * <p>Two schedules. With at least as many samples as workers, samples are handed out to
 * workers, each with its own column matrix and serial GEMMs; the filter gradient is summed
 * over fixed blocks of consecutive samples, one partial dW per block, added in block order
 * (block 0 accumulates straight into dw), so it is bitwise reproducible. With a
 * smaller batch, samples run one after the other with one column matrix and the GEMM
 * itself runs in parallel. All scratch lives in the caller's workspace, laid out as
 * {@code [threads x col][(threads-1) x filter]} or just {@code [col]}; see
 * {@link #workspaceWords}. The size never shrinks as the batch grows, so a workspace sized
 * for the largest batch also serves a smaller last batch.
 */
final class CpuConvolution {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final Parallel parallel;
    private final CpuGemm gemm;
    private final CpuImplicitConvolution implicit;
    private final CpuWinogradConvolution winograd;
    /** False only in tests of the im2col path, which machines without 16 float lanes take for everything. */
    private final boolean implicitEnabled;

    CpuConvolution(Parallel parallel, CpuGemm gemm) {
        this(parallel, gemm, true);
    }

    CpuConvolution(Parallel parallel, CpuGemm gemm, boolean implicitEnabled) {
        this.parallel = parallel;
        this.gemm = gemm;
        this.implicit = new CpuImplicitConvolution(parallel);
        this.winograd = new CpuWinogradConvolution(parallel);
        this.implicitEnabled = implicitEnabled;
    }

    /**
     * Whether the three passes of {@code g} run as {@link CpuImplicitConvolution}'s implicit
     * GEMM rather than im2col + GEMM. The batch size does not matter, so a smaller last batch
     * takes the same path as the full ones (and needs no workspace either).
     */
    boolean usesImplicit(ConvGeometry g) {
        return implicitEnabled && CpuImplicitConvolution.applies(g);
    }

    /** Whether {@code pass} of {@code g} runs as {@link CpuWinogradConvolution}'s F(2x2, 3x3). */
    boolean usesWinograd(ConvGeometry g, CpuWinogradConvolution.Pass pass) {
        // the im2col path's own tests turn both register-kernel paths off
        return implicitEnabled && CpuWinogradConvolution.pays(g, pass);
    }

    static boolean isPointwise(ConvGeometry g) {
        return g.r() == 1 && g.s() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    private static long colWords(ConvGeometry g) {
        return isPointwise(g) ? 0 : (long) g.c() * g.r() * g.s() * g.outH() * g.outW();
    }

    private boolean perSample(ConvGeometry g) {
        return g.n() >= parallel.threads();
    }

    /**
     * Words of the caller's workspace: none for the implicit path (its scratch is its own),
     * else the column matrices and partial filter gradients of the im2col path.
     */
    long workspaceWords(ConvGeometry g) {
        if (usesImplicit(g)) return 0;
        int t = parallel.threads();
        return perSample(g) ? t * colWords(g) + (t - 1) * g.filterSize() : colWords(g);
    }

    // ------------------------------------------------------------------ the three passes

    void forward(ConvGeometry g, MemorySegment x, MemorySegment w, MemorySegment y, MemorySegment ws) {
        int k = g.k(), crs = g.c() * g.r() * g.s(), p = g.outH() * g.outW();
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) k * p, col = colWords(g);
        boolean pointwise = isPointwise(g);
        if (usesWinograd(g, CpuWinogradConvolution.Pass.FORWARD)) {
            winograd.forward(g, x, w, y);
        } else if (usesImplicit(g)) {
            implicit.forward(g, x, w, y);
        } else if (perSample(g)) {
            parallel.forEach(g.n(), (worker, i) -> {
                long colOff = worker * col;
                if (!pointwise) im2col(g, x, i * xs, ws, colOff);
                gemm.gemmSerial(worker, false, false, k, p, crs, 1f, w, 0,
                        pointwise ? x : ws, pointwise ? i * xs : colOff, 0f, y, i * ys);
            });
        } else {
            for (int i = 0; i < g.n(); i++) {
                if (!pointwise) im2col(g, x, i * xs, ws, 0);
                gemm.gemm(false, false, k, p, crs, 1f, w, 0, pointwise ? x : ws, pointwise ? i * xs : 0, 0f, y, i * ys);
            }
        }
    }

    void backwardData(ConvGeometry g, MemorySegment dy, MemorySegment w, MemorySegment dx, MemorySegment ws) {
        int k = g.k(), crs = g.c() * g.r() * g.s(), p = g.outH() * g.outW();
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) k * p, col = colWords(g);
        boolean pointwise = isPointwise(g);
        if (usesWinograd(g, CpuWinogradConvolution.Pass.BACKWARD_DATA)) {
            winograd.backwardData(g, dy, w, dx);
        } else if (usesImplicit(g)) {
            implicit.backwardData(g, dy, w, dx);
        } else if (perSample(g)) {
            parallel.forEach(g.n(), (worker, i) -> {
                long colOff = worker * col;
                if (pointwise) {
                    gemm.gemmSerial(worker, true, false, crs, p, k, 1f, w, 0, dy, i * ys, 0f, dx, i * xs);
                } else {
                    gemm.gemmSerial(worker, true, false, crs, p, k, 1f, w, 0, dy, i * ys, 0f, ws, colOff);
                    col2im(g, ws, colOff, dx, i * xs);
                }
            });
        } else {
            for (int i = 0; i < g.n(); i++) {
                if (pointwise) {
                    gemm.gemm(true, false, crs, p, k, 1f, w, 0, dy, i * ys, 0f, dx, i * xs);
                } else {
                    gemm.gemm(true, false, crs, p, k, 1f, w, 0, dy, i * ys, 0f, ws, 0);
                    col2im(g, ws, 0, dx, i * xs);
                }
            }
        }
    }

    void backwardFilter(ConvGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment ws) {
        int k = g.k(), crs = g.c() * g.r() * g.s(), p = g.outH() * g.outW();
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) k * p, col = colWords(g);
        boolean pointwise = isPointwise(g);
        if (usesWinograd(g, CpuWinogradConvolution.Pass.BACKWARD_FILTER)) {
            winograd.backwardFilter(g, x, dy, dw);
            return;
        }
        if (usesImplicit(g)) {
            implicit.backwardFilter(g, x, dy, dw);
            return;
        }
        if (!perSample(g)) {
            for (int i = 0; i < g.n(); i++) {
                if (!pointwise) im2col(g, x, i * xs, ws, 0);
                gemm.gemm(false, true, k, crs, p, 1f, dy, i * ys, pointwise ? x : ws, pointwise ? i * xs : 0,
                        i == 0 ? 0f : 1f, dw, 0);
            }
            return;
        }
        // The sum over samples is split into `threads` fixed blocks of consecutive samples, not
        // into whatever each worker happened to take: block b sums its samples in order into
        // partial b (block 0 straight into dw), and the partials are added in block order. So
        // the float rounding, and with it the whole training run, is the same every time.
        int threads = parallel.threads();
        int n = g.n();
        long filter = g.filterSize();
        long partials = threads * col;
        parallel.forEach(threads, (worker, block) -> {
            int first = (int) ((long) n * block / threads), end = (int) ((long) n * (block + 1) / threads);
            long colOff = worker * col;
            MemorySegment target = block == 0 ? dw : ws;
            long targetOff = block == 0 ? 0 : partials + (block - 1) * filter;
            for (int i = first; i < end; i++) {
                if (!pointwise) im2col(g, x, i * xs, ws, colOff);
                gemm.gemmSerial(worker, false, true, k, crs, p, 1f, dy, i * ys, pointwise ? x : ws,
                        pointwise ? i * xs : colOff, i == first ? 0f : 1f, target, targetOff);
            }
        });
        // n >= threads here, so every block holds at least one sample: dw = block 0 + blocks 1.. in order.
        for (int t = 1; t < threads; t++) {
            long from = partials + (t - 1) * filter;
            int chunk = 1 << 14;
            int chunks = (int) ((filter + chunk - 1) / chunk);
            parallel.forRange(chunks, 2, (worker, s, e) -> {
                long lo = (long) s * chunk, hi = Math.min(filter, (long) e * chunk);
                CpuElementwise.add(dw, lo, ws, from + lo, dw, lo, hi - lo);
            });
        }
    }

    // ------------------------------------------------------------------ im2col / col2im

    /** col[(c*R + r)*S + s, oh*OW + ow] = x[c, oh*strideH - padH + r, ow*strideW - padW + s], 0 outside. */
    static void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment col, long colOff) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW(), sh = g.strideH(), sw = g.strideW();
        long row = colOff;
        for (int c = 0; c < g.c(); c++) {
            long plane = xOff + (long) c * h * w;
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++, row += (long) oh * ow) {
                    int lo = validLow(s, g.padW(), sw), hi = validHigh(s, g.padW(), sw, w, ow);
                    for (int i = 0; i < oh; i++) {
                        long dst = row + (long) i * ow;
                        int ih = i * sh - g.padH() + r;
                        if (ih < 0 || ih >= h || hi <= lo) {
                            zero(col, dst, ow);
                            continue;
                        }
                        zero(col, dst, lo);
                        zero(col, dst + hi, ow - hi);
                        long src = plane + (long) ih * w + (long) lo * sw - g.padW() + s;
                        if (sw == 1) {
                            MemorySegment.copy(x, src * Float.BYTES, col, (dst + lo) * Float.BYTES, (long) (hi - lo) * Float.BYTES);
                        } else {
                            for (int j = lo; j < hi; j++, src += sw) col.setAtIndex(F, dst + j, x.getAtIndex(F, src));
                        }
                    }
                }
            }
        }
    }

    /** dx[i] = the sum, over every column entry, of its gradient at the input position it was copied from. */
    static void col2im(ConvGeometry g, MemorySegment col, long colOff, MemorySegment dx, long dxOff) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW(), sh = g.strideH(), sw = g.strideW();
        dx.asSlice(dxOff * Float.BYTES, (long) g.c() * h * w * Float.BYTES).fill((byte) 0);
        long row = colOff;
        for (int c = 0; c < g.c(); c++) {
            long plane = dxOff + (long) c * h * w;
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++, row += (long) oh * ow) {
                    int lo = validLow(s, g.padW(), sw), hi = validHigh(s, g.padW(), sw, w, ow);
                    if (hi <= lo) continue;
                    for (int i = 0; i < oh; i++) {
                        int ih = i * sh - g.padH() + r;
                        if (ih < 0 || ih >= h) continue;
                        long src = row + (long) i * ow;
                        long dst = plane + (long) ih * w + (long) lo * sw - g.padW() + s;
                        if (sw == 1) {
                            CpuElementwise.add(dx, dst, col, src + lo, dx, dst, hi - lo);
                        } else {
                            for (int j = lo; j < hi; j++, dst += sw) {
                                dx.setAtIndex(F, dst, dx.getAtIndex(F, dst) + col.getAtIndex(F, src + j));
                            }
                        }
                    }
                }
            }
        }
    }

    /** First output column whose input column ow*stride - pad + s is >= 0. */
    private static int validLow(int s, int pad, int stride) {
        return Math.max(0, Math.ceilDiv(pad - s, stride));
    }

    /** One past the last output column whose input column is < w. */
    private static int validHigh(int s, int pad, int stride, int w, int ow) {
        return Math.min(ow, Math.floorDiv(w - 1 + pad - s, stride) + 1);
    }

    private static void zero(MemorySegment s, long off, long n) {
        if (n < V) {
            // Most calls clear the one or two columns that padding adds to a row.
            for (long i = 0; i < n; i++) s.setAtIndex(F, off + i, 0f);
            return;
        }
        FloatVector z = FloatVector.zero(SPECIES);
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) z.intoMemorySegment(s, (off + i) * Float.BYTES, ORDER);
        for (; i < n; i++) s.setAtIndex(F, off + i, 0f);
    }
}
