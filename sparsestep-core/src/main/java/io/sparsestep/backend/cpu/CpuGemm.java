package io.sparsestep.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Single-precision GEMM on off-heap segments: row-major
 * {@code C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C}, all operands contiguous
 * (leading dimensions follow from the shapes), offsets counted in floats.
 *
 * <p>Goto-style blocking: a [KC x nc] block of op(B) is packed into strips NR columns wide
 * and an [mc x KC] block of op(A) into strips MR rows tall, both laid out so the
 * micro-kernel reads them sequentially whatever the transposition; packing also pads edge
 * strips with zeros, so the kernel always runs full strips. The kernel keeps an MR x NR
 * tile of C in registers (NR = two vectors, MR = 4 or 8 rows by register count) and walks
 * k with one broadcast and two FMAs per row. The packing buffers are per worker and grow once; a steady-state call
 * allocates nothing but a lambda.
 *
 * <p>When C has few columns (n well below NR) the product is computed as C^T = op(B)^T
 * op(A)^T and written back transposed, so the register tiles are not mostly padding.
 * {@link #gemm} splits C into one slab per worker;
 * {@link #gemmSerial} runs on the calling worker only (for callers that already parallelise
 * over something else, such as the samples of a convolution).
 */
final class CpuGemm {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int V = SPECIES.length();
    /**
     * Rows of the register tile: 2*MR accumulators plus two B vectors and a broadcast must
     * fit the register file (16 vector registers with AVX2, 32 with AVX-512).
     */
    static final int MR = V >= 16 ? 8 : 4;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * V;
    /** Depth of one packed block: KC x NR floats of B (32 KiB at V = 16) stay in L1. */
    static final int KC = 256;
    /** Rows of a packed A block (MC x KC floats, 96 KiB: L2). */
    static final int MC = 96;
    /** Columns of a packed B block (KC x NC floats, 512 KiB: L2). */
    static final int NC = 512;
    /**
     * Below this many multiply-adds (some 5-10 microseconds of one core) waking a worker
     * costs about as much as it saves.
     */
    private static final long PARALLEL_MIN_MACS = 64L * 64 * 128;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Row p of a packed B strip starts p * NR floats in. */
    private static final int[] PACKED_ROWS = new int[KC];

    static {
        for (int p = 0; p < KC; p++) PACKED_ROWS[p] = p * NR;
    }

    /** Packing buffers of one worker. */
    static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];

        void ensure(int aWords, int bWords) {
            if (a.length < aWords) a = new float[aWords];
            if (b.length < bWords) b = new float[bWords];
        }
    }

    private final Parallel parallel;
    private final Scratch[] scratch;

    CpuGemm(Parallel parallel) {
        this.parallel = parallel;
        this.scratch = new Scratch[parallel.threads()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new Scratch();
    }

    /**
     * Parallel GEMM over all workers of the pool. C is cut along its longer side into one
     * slab per worker: each worker then packs all of the shorter operand's panel and only
     * its own part of the longer one, which keeps the duplicated packing work smallest.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              MemorySegment a, long aOff, MemorySegment b, long bOff, float beta, MemorySegment c, long cOff) {
        multiply(-1, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
    }

    /** GEMM on the calling thread, which must be {@code worker} of the pool (0 outside a parallel body). */
    void gemmSerial(int worker, boolean transA, boolean transB, int m, int n, int k, float alpha,
                    MemorySegment a, long aOff, MemorySegment b, long bOff, float beta, MemorySegment c, long cOff) {
        multiply(worker, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
    }

    /** Either form: on the pool ({@code worker} = -1) or on one worker. */
    private void multiply(int worker, boolean transA, boolean transB, int m, int n, int k, float alpha,
                          MemorySegment a, long aOff, MemorySegment b, long bOff, float beta, MemorySegment c, long cOff) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scale(c, cOff, (long) m * n, beta);
            return;
        }
        if (preferTransposed(m, n)) {
            // C^T = op(B)^T op(A)^T: the operands swap places and flip their transposition.
            run(worker, !transB, !transA, n, m, k, alpha, b, bOff, a, aOff, beta, c, cOff, 1, n);
        } else {
            run(worker, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, n, 1);
        }
    }

    /**
     * True when computing C^T wastes clearly less of the register tiles than C: a product
     * with few columns (a convolution over a 2x2 feature map has n = 4 against NR = 32)
     * would otherwise fill most of every tile with padding.
     */
    static boolean preferTransposed(int m, int n) {
        long direct = (long) roundUp(m, MR) * roundUp(n, NR);
        long transposed = (long) roundUp(n, MR) * roundUp(m, NR);
        return 4 * transposed < 3 * direct;
    }

    /** C[i, j] (stored at cOff + i*rowStride + j*colStride) = alpha * op(A) op(B) + beta * C. */
    private void run(int worker, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, MemorySegment b, long bOff, float beta,
                     MemorySegment c, long cOff, int rowStride, int colStride) {
        int lda = transA ? m : k, ldb = transB ? k : n;
        boolean splitColumns = n >= m;
        int unit = splitColumns ? NR : MR;
        int units = ceilDiv(splitColumns ? n : m, unit);
        int slabs = Math.min(parallel.threads(), units);
        if (worker >= 0 || slabs == 1 || (long) m * n * k < PARALLEL_MIN_MACS) {
            region(scratch[Math.max(0, worker)], transA, transB, k, alpha, a, aOff, lda, b, bOff, ldb, beta,
                    c, cOff, rowStride, colStride, 0, m, 0, n);
            return;
        }
        parallel.forEach(slabs, (w, slab) -> {
            // Slab boundaries fall on whole register tiles so only the last slab has an edge.
            int lo = (int) ((long) units * slab / slabs) * unit;
            int hi = Math.min(splitColumns ? n : m, (int) ((long) units * (slab + 1) / slabs) * unit);
            region(scratch[w], transA, transB, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, rowStride, colStride,
                    splitColumns ? 0 : lo, splitColumns ? m : hi, splitColumns ? lo : 0, splitColumns ? hi : n);
        });
    }

    /** C = beta * C, where beta == 0 clears C even if it held NaN. */
    private static void scale(MemorySegment c, long cOff, long count, float beta) {
        if (beta == 1f) return;
        if (beta == 0f) {
            c.asSlice(cOff * Float.BYTES, count * Float.BYTES).fill((byte) 0);
            return;
        }
        for (long i = cOff; i < cOff + count; i++) c.setAtIndex(F, i, beta * c.getAtIndex(F, i));
    }

    /**
     * C[i0:i1, j0:j1] in Goto's loop order: for each NC column block and KC depth block the
     * B panel is packed once, then each MC row block of A is packed and swept by the kernel.
     */
    private static void region(Scratch s, boolean transA, boolean transB, int k, float alpha,
                               MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                               float beta, MemorySegment c, long cOff, int rowStride, int colStride,
                               int i0, int i1, int j0, int j1) {
        int kcMax = Math.min(KC, k);
        s.ensure(roundUp(Math.min(MC, i1 - i0), MR) * kcMax, roundUp(Math.min(NC, j1 - j0), NR) * kcMax);
        float[] pa = s.a, pb = s.b;
        for (int jc = j0; jc < j1; jc += NC) {
            int jEnd = Math.min(j1, jc + NC);
            int colStrips = ceilDiv(jEnd - jc, NR);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                // Later depth blocks accumulate onto the partial sums already in C.
                float blockBeta = p0 == 0 ? beta : 1f;
                packB(transB, b, bOff, ldb, p0, kc, jc, jEnd, pb);
                for (int ic = i0; ic < i1; ic += MC) {
                    int iEnd = Math.min(i1, ic + MC);
                    int rowStrips = ceilDiv(iEnd - ic, MR);
                    packA(transA, a, aOff, lda, p0, kc, ic, iEnd, pa);
                    for (int js = 0; js < colStrips; js++) {
                        int col = jc + js * NR;
                        int cols = Math.min(NR, jEnd - col);
                        for (int is = 0; is < rowStrips; is++) {
                            int row = ic + is * MR;
                            kernel(kc, pa, is * MR * kc, pb, js * NR * kc, c,
                                    cOff + (long) row * rowStride + (long) col * colStride, rowStride, colStride,
                                    Math.min(MR, iEnd - row), cols, alpha, blockBeta, s.tile);
                        }
                    }
                }
            }
        }
    }

    /** op(A)[i0:i1, p0:p0+kc] into MR-row strips: strip-major, then k, then the MR rows. */
    private static void packA(boolean transA, MemorySegment a, long aOff, int lda, int p0, int kc,
                              int i0, int i1, float[] pa) {
        for (int row = i0, base = 0; row < i1; row += MR, base += MR * kc) {
            int rows = Math.min(MR, i1 - row);
            if (!transA) {
                // A[i][p] = a[i*lda + p]: read each row sequentially, scatter into the strip.
                for (int r = 0; r < rows; r++) {
                    long src = aOff + (long) (row + r) * lda + p0;
                    for (int p = 0, d = base + r; p < kc; p++, d += MR) pa[d] = a.getAtIndex(F, src + p);
                }
            } else {
                // A is stored [k][m]: the MR values of one k are adjacent.
                for (int p = 0; p < kc; p++) {
                    long src = aOff + (long) (p0 + p) * lda + row;
                    int d = base + p * MR;
                    for (int r = 0; r < rows; r++) pa[d + r] = a.getAtIndex(F, src + r);
                }
            }
            if (rows < MR) {
                for (int p = 0; p < kc; p++) {
                    for (int r = rows; r < MR; r++) pa[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /** op(B)[p0:p0+kc, j0:j1] into NR-column strips: strip-major, then k, then the NR columns. */
    private static void packB(boolean transB, MemorySegment b, long bOff, int ldb, int p0, int kc,
                              int j0, int j1, float[] pb) {
        for (int col = j0, base = 0; col < j1; col += NR, base += NR * kc) {
            int cols = Math.min(NR, j1 - col);
            if (!transB) {
                // B[p][j] = b[p*ldb + j]: NR adjacent values per k.
                for (int p = 0; p < kc; p++) {
                    long src = bOff + (long) (p0 + p) * ldb + col;
                    int d = base + p * NR;
                    if (cols == NR) {
                        FloatVector.fromMemorySegment(SPECIES, b, src * Float.BYTES, ORDER).intoArray(pb, d);
                        FloatVector.fromMemorySegment(SPECIES, b, (src + V) * Float.BYTES, ORDER).intoArray(pb, d + V);
                    } else {
                        for (int j = 0; j < cols; j++) pb[d + j] = b.getAtIndex(F, src + j);
                        for (int j = cols; j < NR; j++) pb[d + j] = 0f;
                    }
                }
            } else {
                // B is stored [n][k]: read each of its rows sequentially, scatter into the strip.
                for (int j = 0; j < cols; j++) {
                    long src = bOff + (long) (col + j) * ldb + p0;
                    for (int p = 0, d = base + j; p < kc; p++, d += NR) pb[d] = b.getAtIndex(F, src + p);
                }
                if (cols < NR) {
                    for (int p = 0; p < kc; p++) {
                        for (int j = cols; j < NR; j++) pb[base + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /**
     * The MR x NR register tile: C[row:row+rows, col:col+cols] = alpha * (A strip x B strip)
     * + beta * C.
     */
    private static void kernel(int kc, float[] pa, int ia, float[] pb, int ib, MemorySegment c, long ci,
                               int rowStride, int colStride, int rows, int cols, float alpha, float beta, float[] tile) {
        if (MR == 8) multiply8(kc, pa, ia, pb, PACKED_ROWS, ib, ib + V, tile);
        else multiply4(kc, pa, ia, pb, ib, tile);
        writeBack(tile, c, ci, rowStride, colStride, rows, cols, alpha, beta);
    }

    // The products hand their tile over through an array: that keeps them small enough for
    // C2 to hold every accumulator in a register (a callee taking vectors may fail to
    // inline, and then each vector would be boxed on the heap).

    /** tile[4 x NR] = A strip x B strip: eight accumulators, for 16-register AVX2. */
    private static void multiply4(int kc, float[] pa, int ia, float[] pb, int ib, float[] tile) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c10 = c00, c11 = c00,
                c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++, ia += 4, ib += NR) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, ib);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, ib + V);
            FloatVector a = FloatVector.broadcast(SPECIES, pa[ia]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, pa[ia + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, pa[ia + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, pa[ia + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, V);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
    }

    /**
     * tile[8 x NR] = A strip x B, sixteen accumulators, for 32-register AVX-512. Row p of B
     * is the two vectors at {@code b[rowOff[p] + b0]} and {@code b[rowOff[p] + b1]}: a packed
     * strip ({@link #PACKED_ROWS}, b1 = b0 + V) or the rows of an implicit column matrix
     * (CpuImplicitConvolution's padded planes).
     */
    static void multiply8(int kc, float[] pa, int ia, float[] b, int[] rowOff, int b0, int b1, float[] tile) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
                c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++, ia += 8) {
            int o = rowOff[p];
            FloatVector v0 = FloatVector.fromArray(SPECIES, b, o + b0);
            FloatVector v1 = FloatVector.fromArray(SPECIES, b, o + b1);
            FloatVector a = FloatVector.broadcast(SPECIES, pa[ia]);
            c00 = a.fma(v0, c00);
            c01 = a.fma(v1, c01);
            a = FloatVector.broadcast(SPECIES, pa[ia + 1]);
            c10 = a.fma(v0, c10);
            c11 = a.fma(v1, c11);
            a = FloatVector.broadcast(SPECIES, pa[ia + 2]);
            c20 = a.fma(v0, c20);
            c21 = a.fma(v1, c21);
            a = FloatVector.broadcast(SPECIES, pa[ia + 3]);
            c30 = a.fma(v0, c30);
            c31 = a.fma(v1, c31);
            a = FloatVector.broadcast(SPECIES, pa[ia + 4]);
            c40 = a.fma(v0, c40);
            c41 = a.fma(v1, c41);
            a = FloatVector.broadcast(SPECIES, pa[ia + 5]);
            c50 = a.fma(v0, c50);
            c51 = a.fma(v1, c51);
            a = FloatVector.broadcast(SPECIES, pa[ia + 6]);
            c60 = a.fma(v0, c60);
            c61 = a.fma(v1, c61);
            a = FloatVector.broadcast(SPECIES, pa[ia + 7]);
            c70 = a.fma(v0, c70);
            c71 = a.fma(v1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, V);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + V);
    }

    /** C[r, j] = alpha * tile[r, j] + beta * C[r, j] for the valid part of a register tile. */
    private static void writeBack(float[] tile, MemorySegment c, long ci, int rowStride, int colStride, int rows, int cols,
                                  float alpha, float beta) {
        if (colStride == 1 && cols == NR) {
            for (int r = 0; r < rows; r++) {
                long off = (ci + (long) r * rowStride) * Float.BYTES;
                for (int v = 0; v < NR; v += V, off += (long) V * Float.BYTES) {
                    FloatVector x = FloatVector.fromArray(SPECIES, tile, r * NR + v).mul(alpha);
                    if (beta != 0f) x = x.add(FloatVector.fromMemorySegment(SPECIES, c, off, ORDER).mul(beta));
                    x.intoMemorySegment(c, off, ORDER);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                long dst = ci + (long) r * rowStride + (long) j * colStride;
                float x = alpha * tile[r * NR + j];
                if (beta != 0f) x += beta * c.getAtIndex(F, dst);
                c.setAtIndex(F, dst, x);
            }
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
