package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Convolution as an implicit GEMM: no column matrix. Each sample's input is copied
 * once into a zero-padded plane {@code xp[c][h + 2 padH][w + 2 padW]}; the column-matrix row
 * of filter tap (c, r, s) is then the padded plane read from offset
 * {@code rowOff = (c * Hp + r) * Wp + s}, so the register kernel loads its B vectors straight
 * from {@code xp} and only the filter is packed (once per call, not per sample).
 * <pre>
 *   forward          y[i][k]  = sum_(c,r,s) W[k][c,r,s] * xp_i[rowOff(c,r,s) + pos]
 *   backward data    dx[i][c] = the same correlation of the padded dy_i with the filter
 *                               flipped in space and transposed, W'[c][k, R-1-r, S-1-s],
 *                               padding R-1-padH (no col2im and no scatter-add)
 *   backward filter  dW[k][c,r,s] = sum_i sum_pos xp_i[rowOff(c,r,s) + pos] * dy_i[k][pos]
 * </pre>
 * An output position (oh, ow) reads the padded plane at {@code oh * Wp + ow}. When the
 * output width is a multiple of the vector length, a vector of consecutive outputs is one
 * contiguous run of the plane and the kernel writes y directly ("natural" columns).
 * Otherwise the kernel computes all {@code outH x Wp} "wide" positions, of which the last
 * {@code Wp - outW} per row are junk, into a per-worker buffer and the valid ones are copied
 * out (the wasted work is {@code (Wp - outW) / Wp}).
 *
 * <p>Strided convolutions store the padded plane as its stride phases: phase (a, b) holds
 * the padded rows a, a + strideH, ... and columns b, b + strideW, ... of a channel, so tap
 * (r, s) reads phase (r % strideH, s % strideW) from row r / strideH, column s / strideW,
 * and consecutive output positions are again consecutive words ({@code Wp} above becomes the
 * phase width {@code Wq = ceil(Wp / strideW)}). Forward and filter gradient then run the
 * kernels above unchanged. Backward data splits dx into the same phases: the padded input
 * row {@code strideH * u + a} receives only the taps r = a + strideH * r', from output row
 * u - r', so each phase is a stride-1 full correlation of dy (padding Ra - 1) with that
 * phase's sub-filter, flipped and transposed, of Ra x Sb taps; the phase results are then
 * written to their places in dx ({@link #backwardDataByPhases}).
 *
 * <p>Samples are handed to workers as in {@link CpuConvolution}'s per-sample schedule. The
 * filter gradient is summed over the same fixed blocks of consecutive samples, one partial
 * per block, in sample order and position order inside it, then the partials are added in
 * block order: bitwise reproducible for a given thread count. Up to 32 filters on natural
 * columns the positions lie on the vector lanes instead ({@link #filterOnLanes}): each lane
 * sums its own positions in that order and the lanes are added in lane order at the end.
 * All scratch is on the Java heap, per worker or per block, and grows once.
 */
final class CpuImplicitConvolution {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    /** Rows (filters) of a register tile; 16 accumulators need AVX-512's 32 registers. */
    private static final int MR = 8;
    /** Columns of a register tile: two vectors. */
    private static final int NR = 2 * V;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Over two vectors (a, b): a0 a2 ... b0 b2 ..., the even elements of 2V consecutive ones. */
    private static final VectorShuffle<Float> EVENS = shuffle(i -> 2 * i);
    /** Over two vectors (a, b): a0 b0 a1 b1 ..., the first half of their interleaving. */
    private static final VectorShuffle<Float> ZIP_LOW = shuffle(i -> i % 2 == 0 ? i / 2 : V + i / 2);
    /** The second half: a(V/2) b(V/2) ... a(V-1) b(V-1). */
    private static final VectorShuffle<Float> ZIP_HIGH = shuffle(i -> i % 2 == 0 ? V / 2 + i / 2 : V + V / 2 + i / 2);

    /** Lane i takes element {@code source(i)} of the concatenation of two vectors. */
    private static VectorShuffle<Float> shuffle(java.util.function.IntUnaryOperator source) {
        int[] lanes = new int[V];
        for (int i = 0; i < V; i++) lanes[i] = source.applyAsInt(i);
        return VectorShuffle.fromValues(SPECIES, lanes);
    }

    /** One worker's buffers. */
    private static final class Scratch {
        float[] plane = new float[0];
        float[] wide = new float[0];
        float[] dyt = new float[0];
        float[] col = new float[0];
        final float[] tile = new float[MR * NR];
        /** One stride phase of a sample's input gradient, [C][Uh][Uw] (native, as the kernel's output). */
        MemorySegment phase = MemorySegment.NULL;

        float[] row = new float[0];
        float[] staged = new float[0];
        float[] result = new float[0];
        float[] evens = new float[0];
        float[] odds = new float[0];

        /**
         * A heap copy of one sample's input (or dy), two vectors of slack: one bulk copy from
         * the tensor instead of a segment access per row or element.
         */
        float[] staged(MemorySegment src, long srcOff, int words) {
            if (staged.length < words + 2 * V) staged = new float[words + 2 * V];
            MemorySegment.copy(src, F, srcOff * Float.BYTES, staged, 0, words);
            return staged;
        }

        /** One sample's output gathered on the heap, written to the tensor in one copy. */
        float[] result(int words) {
            if (result.length < words) result = new float[words];
            return result;
        }

        /** A row of {@code words} with two vectors of slack. */
        float[] row(int words) {
            if (row.length < words + 2 * V) row = new float[words + 2 * V];
            return row;
        }

        MemorySegment phase(long words) {
            if (phase.byteSize() < words * Float.BYTES) phase = Arena.ofAuto().allocate(words * Float.BYTES, 64);
            return phase;
        }

        float[] col(int words) {
            if (col.length < words) col = new float[words];
            return col;
        }

        float[] plane(int words) {
            if (plane.length < words) plane = new float[words];
            return plane;
        }

        float[] wide(int words) {
            if (wide.length < words) wide = new float[words];
            return wide;
        }

        float[] dyt(int words) {
            if (dyt.length < words) dyt = new float[words];
            return dyt;
        }
    }

    private final Parallel parallel;
    private final Scratch[] scratch;
    /** Filter gradient partials, one per block of samples, [CRS rounded to MR][K rounded to NR]. */
    private final float[][] partials;
    private float[] packed = new float[0];
    private int[] rowOffsets = new int[0];
    /** Backward data of a strided convolution: each phase's packed sub-filter and tap offsets. */
    private float[][] phasePacked = new float[0][];
    private int[][] phaseRowOffsets = new int[0][];
    /** Row starts of a grouped column matrix: tap t at t * its column stride. */
    private int[] tapRows = new int[0];

    CpuImplicitConvolution(Parallel parallel) {
        this.parallel = parallel;
        this.scratch = new Scratch[parallel.threads()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new Scratch();
        this.partials = new float[parallel.threads()][0];
    }

    /**
     * A vector unit wide enough for the 8 x 2-vector tile and a filter larger than 1x1 (a
     * pointwise stride-1 convolution reads x directly already; a strided 1x1 projection is a
     * GEMM over one phase only, of depth C, where im2col's subsampling copy measured faster
     * than the phase path), and, at stride 1, padding below the filter size (so the
     * backward-data correlation has a non-negative padding; strided convolutions take
     * backward data through the phases, which pad each phase by its own sub-filter).
     */
    static boolean applies(ConvGeometry g) {
        boolean strided = g.strideH() > 1 || g.strideW() > 1;
        return V >= 16 && (g.r() > 1 || g.s() > 1) && (strided || g.padH() < g.r() && g.padW() < g.s());
    }

    /**
     * Whether the filter gradient of {@code g} runs in tiles of 2 MR taps x 1 vector of
     * filters: up to V filters fill one vector, and the MR x 2-vector tile would be at least
     * half padding (ResNet's 16-filter stage).
     */
    static boolean narrowFilterTile(ConvGeometry g) {
        return g.k() <= V;
    }

    /**
     * A zero-padded [channels][h + 2 padH][w + 2 padW] plane, stored as the phaseRows x
     * phaseCols stride phases its taps read ([channels][phaseRows][phaseCols][hq][wq]); at
     * stride 1 there is one phase, the padded plane itself.
     */
    private record Padded(int channels, int h, int w, int padH, int padW, int strideH, int strideW,
                          int phaseRows, int phaseCols) {
        /** The stride-1 plane. */
        Padded(int channels, int h, int w, int padH, int padW) {
            this(channels, h, w, padH, padW, 1, 1, 1, 1);
        }

        /** The input of {@code g}, split into the phases its R x S taps read. */
        static Padded input(ConvGeometry g) {
            return new Padded(g.c(), g.h(), g.w(), g.padH(), g.padW(), g.strideH(), g.strideW(),
                    Math.min(g.r(), g.strideH()), Math.min(g.s(), g.strideW()));
        }

        int hp() { return h + 2 * padH; }
        int wp() { return w + 2 * padW; }
        /** Rows of a phase. */
        int hq() { return CpuGemm.ceilDiv(hp(), strideH); }
        /** Columns of a phase: the distance between output rows in the plane. */
        int wq() { return CpuGemm.ceilDiv(wp(), strideW); }

        /** Where tap (ch, r, s) of output position 0 reads. */
        int offset(int ch, int r, int s) {
            int phase = (ch * phaseRows + r % strideH) * phaseCols + s % strideW;
            return (phase * hq() + r / strideH) * wq() + s / strideW;
        }

        /**
         * Words of the plane plus slack: the last wide column strip of the last tap reads up
         * to (S - 1) / strideW + NR - 1 words past the plane, and S <= wp.
         */
        int words() { return channels * phaseRows * phaseCols * hq() * wq() + wq() + NR; }
    }

    // ------------------------------------------------------------------ the three passes

    void forward(ConvGeometry g, MemorySegment x, MemorySegment w, MemorySegment y) {
        Padded in = Padded.input(g);
        int crs = g.c() * g.r() * g.s();
        packFilter(w, g.k(), crs, (m, p) -> (long) m * crs + p);
        int[] rowOff = rowOffsets(in, g.c(), g.r(), g.s(), crs);
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) g.k() * g.outH() * g.outW();
        run(packed, g.k(), crs, rowOff, in, x, xs, g.n(), g.outH(), g.outW(), y, ys);
    }

    void backwardData(ConvGeometry g, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        if (g.strideH() > 1 || g.strideW() > 1) {
            backwardDataByPhases(g, dy, w, dx);
            return;
        }
        int k = g.k(), c = g.c(), r = g.r(), s = g.s();
        Padded in = new Padded(k, g.outH(), g.outW(), r - 1 - g.padH(), s - 1 - g.padW());
        int krs = k * r * s;
        // W'[c][(k*R + r')*S + s'] = W[k][c][R-1-r'][S-1-s'].
        packFilter(w, c, krs, (m, p) -> {
            int kk = p / (r * s), rr = r - 1 - (p / s) % r, ss = s - 1 - p % s;
            return (((long) kk * c + m) * r + rr) * s + ss;
        });
        int[] rowOff = rowOffsets(in, k, r, s, krs);
        long xs = (long) c * g.h() * g.w(), ys = (long) k * g.outH() * g.outW();
        if (restrictsTaps(g)) {
            TapBands bands = new TapBands(w, g, in);
            parallel.forEach(g.n(), (worker, i) -> correlate(scratch[worker], bands, packed, c, krs, rowOff, in, dy, i * ys,
                    g.h(), g.w(), dx, i * xs));
            return;
        }
        run(packed, c, krs, rowOff, in, dy, ys, g.n(), g.h(), g.w(), dx, xs);
    }

    /**
     * Whether stride-1 backward data of {@code g} runs each column strip with only the filter
     * rows that reach dy ({@link TapBands}): a dy padding of 2 or more, on an output not grouped.
     */
    static boolean restrictsTaps(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.r() - 1 - g.padH() >= 2 && !isGrouped(g.h() * g.w());
    }

    /** A packed filter operand, its depth and the plane offsets of its taps. */
    private record Taps(float[] packed, int depth, int[] rowOff) {
    }

    /**
     * Stride-1 backward data whose dy padding P = R - 1 - padH is 2 or more (LeNet-5's 5x5
     * conv2: an 8x8 dy padded by 4, so most taps of the border rows read padding). Output row
     * i reads padded dy rows i .. i + R - 1, of which only [P, P + outH) hold data, so a
     * column strip over output rows i0..i1 needs the flipped filter's rows
     * t in [max(0, P - i1), min(R - 1, P + outH - 1 - i0)] only. Each range some strip needs
     * gets its own packed filter and offsets, built before the samples run; the taps left out
     * would only add zero products, so the sums are the same (up to the sign of a zero).
     */
    private static final class TapBands {
        private final int taps, padding, dyRows, outRows, outW, wq;
        private final Taps[] ranges;

        TapBands(MemorySegment w, ConvGeometry g, Padded in) {
            int k = g.k(), c = g.c(), r = g.r(), s = g.s();
            this.taps = r;
            this.padding = in.padH();
            this.dyRows = in.h();
            this.outRows = g.h();
            this.outW = g.w();
            this.wq = in.wq();
            this.ranges = new Taps[r * r];
            int q = g.w() % V == 0 ? g.h() * g.w() : g.h() * wq;
            for (int col = 0; col < q; col += NR) {
                int lo = low(col), hi = high(col), at = lo * r + hi;
                if (ranges[at] != null) continue;
                int span = hi - lo + 1, depth = k * span * s;
                float[] a = pack(null, w, c, depth, (m, p) -> {
                    int kk = p / (span * s), rr = r - 1 - (lo + (p / s) % span), ss = s - 1 - p % s;
                    return (((long) kk * c + m) * r + rr) * s + ss;
                });
                int[] off = new int[depth];
                for (int p = 0; p < depth; p++) off[p] = in.offset(p / (span * s), lo + (p / s) % span, p % s);
                ranges[at] = new Taps(a, depth, off);
            }
        }

        /** The taps of the column strip starting at {@code col} (a natural or a wide position). */
        Taps strip(int col) {
            return ranges[low(col) * taps + high(col)];
        }

        /** The output row of a natural or wide position (the last strip's padding columns count as the last row). */
        private int row(int col) {
            return Math.min(outRows - 1, outW % V == 0 ? col / outW : col / wq);
        }

        private int low(int col) {
            return Math.max(0, padding - row(col + NR - 1));
        }

        private int high(int col) {
            return Math.min(taps - 1, padding + dyRows - 1 - row(col));
        }
    }

    /**
     * Backward data of a strided convolution, one stride phase (a, b) of dx at a time. The
     * padded input position (strideH u + a, strideW v + b) is read by the taps
     * r = a + strideH r', s = b + strideW s' of output (u - r', v - s') only, so
     * <pre>
     *   dxPhase[c][u][v] = sum_(k,r',s') W[k][c][a + strideH r'][b + strideW s'] * dy[k][u - r'][v - s']
     * </pre>
     * the stride-1 backward data (a full correlation: padding Ra - 1, Sb - 1, flipped and
     * transposed filter) of the Ra x Sb sub-filter, over Uh = outH + Ra - 1 rows and
     * Uw = outW + Sb - 1 columns. dx takes each phase's values at that phase's positions, and
     * zero where the phase has no tap (a >= R) or past Uh, Uw (input rows no output reads).
     * Every sample is summed alone, phase by phase, in a fixed order.
     */
    private void backwardDataByPhases(ConvGeometry g, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int k = g.k(), c = g.c(), r = g.r(), s = g.s(), sh = g.strideH(), sw = g.strideW(), phases = sh * sw;
        if (phasePacked.length < phases) {
            phasePacked = Arrays.copyOf(phasePacked, phases);
            phaseRowOffsets = Arrays.copyOf(phaseRowOffsets, phases);
        }
        Padded[] planes = new Padded[phases];
        for (int ph = 0; ph < phases; ph++) {
            int a = ph / sw, b = ph % sw, ra = phaseTaps(r, a, sh), sb = phaseTaps(s, b, sw);
            if (ra == 0 || sb == 0) continue;
            planes[ph] = new Padded(k, g.outH(), g.outW(), ra - 1, sb - 1);
            int depth = k * ra * sb;
            // W'[c][(k*Ra + r')*Sb + s'] = W[k][c][a + strideH (Ra-1-r')][b + strideW (Sb-1-s')].
            phasePacked[ph] = pack(phasePacked[ph], w, c, depth, (m, p) -> {
                int kk = p / (ra * sb), rr = a + sh * (ra - 1 - (p / sb) % ra), ss = b + sw * (sb - 1 - p % sb);
                return (((long) kk * c + m) * r + rr) * s + ss;
            });
            phaseRowOffsets[ph] = offsets(phaseRowOffsets[ph], planes[ph], k, ra, sb, depth);
        }
        // Phase ph's result for one sample sits at phaseAt[ph] of the worker's phase buffer.
        long[] phaseAt = new long[phases + 1];
        for (int ph = 0; ph < phases; ph++) {
            Padded in = planes[ph];
            phaseAt[ph + 1] = phaseAt[ph] + (in == null ? 0 : (long) c * (g.outH() + in.padH()) * (g.outW() + in.padW()));
        }
        long xs = (long) c * g.h() * g.w(), ys = (long) k * g.outH() * g.outW();
        parallel.forEach(g.n(), (worker, i) -> {
            Scratch sc = scratch[worker];
            MemorySegment out = sc.phase(phaseAt[phases]);
            for (int ph = 0; ph < phases; ph++) {
                Padded in = planes[ph];
                if (in == null) continue;
                int depth = k * (in.padH() + 1) * (in.padW() + 1);
                correlate(sc, phasePacked[ph], c, depth, phaseRowOffsets[ph], in, dy, i * ys, g.outH() + in.padH(),
                        g.outW() + in.padW(), out.asSlice(phaseAt[ph] * Float.BYTES), 0);
            }
            new PhaseRows(g, planes, phaseAt, out, sc).write(dx, i * xs);
        });
    }

    /**
     * One sample's phase results (phase ph at {@code at[ph]}, [C][Uh][Uw], absent where the
     * phase has no tap) written to dx row by row: dx[ch][ih][iw] = phase (a, b)'s element
     * (u, v) with a, u = (ih + padH) % / strideH and b, v = (iw + padW) % / strideW; zero
     * past Uh, Uw and in tapless phases.
     */
    private record PhaseRows(ConvGeometry g, Padded[] planes, long[] at, MemorySegment out, Scratch sc) {
        void write(MemorySegment dx, long dxOff) {
            int h = g.h(), w = g.w(), sh = g.strideH(), sw = g.strideW();
            float[] line = sc.row(w);
            int half = CpuGemm.roundUp(CpuGemm.ceilDiv(w, 2), V);
            float[] evens = sc.evens = grow(sc.evens, half), odds = sc.odds = grow(sc.odds, half);
            for (int ch = 0; ch < g.c(); ch++) {
                for (int ih = 0; ih < h; ih++) {
                    int a = (ih + g.padH()) % sh, u = (ih + g.padH()) / sh;
                    if (sw == 2) {
                        // Even columns from one column phase, odd ones from the other, interleaved a vector pair at a time.
                        int padW = g.padW();
                        phaseRow(a * sw + padW % 2, ch, u, padW / 2, evens, half);
                        phaseRow(a * sw + (padW + 1) % 2, ch, u, (padW + 1) / 2, odds, half);
                        for (int t = 0; t < half; t += V) {
                            FloatVector e = FloatVector.fromArray(SPECIES, evens, t), o = FloatVector.fromArray(SPECIES, odds, t);
                            e.rearrange(ZIP_LOW, o).intoArray(line, 2 * t);
                            e.rearrange(ZIP_HIGH, o).intoArray(line, 2 * t + V);
                        }
                    } else {
                        for (int iw = 0; iw < w; iw++) line[iw] = element(a * sw + (iw + g.padW()) % sw, ch, u, (iw + g.padW()) / sw);
                    }
                    MemorySegment.copy(line, 0, dx, F, (dxOff + ((long) ch * h + ih) * w) * Float.BYTES, w);
                }
            }
        }

        /** dst[t] = phase ph's element (u, from + t) for t < count, zero where it has none. */
        private void phaseRow(int ph, int ch, int u, int from, float[] dst, int count) {
            Padded in = planes[ph];
            int valid = 0;
            if (in != null) {
                int uh = g.outH() + in.padH(), uw = g.outW() + in.padW();
                if (u < uh) {
                    valid = Math.max(0, Math.min(count, uw - from));
                    MemorySegment.copy(out, F, (at[ph] + ((long) ch * uh + u) * uw + from) * Float.BYTES, dst, 0, valid);
                }
            }
            Arrays.fill(dst, valid, count, 0f);
        }

        private float element(int ph, int ch, int u, int v) {
            Padded in = planes[ph];
            if (in == null) return 0f;
            int uh = g.outH() + in.padH(), uw = g.outW() + in.padW();
            return u < uh && v < uw ? out.getAtIndex(F, at[ph] + ((long) ch * uh + u) * uw + v) : 0f;
        }
    }

    private static float[] grow(float[] a, int words) {
        return a.length < words ? new float[words] : a;
    }

    /** Taps r = a, a + stride, ... below {@code size}: the sub-filter length of phase a. */
    private static int phaseTaps(int size, int a, int stride) {
        return a >= size ? 0 : CpuGemm.ceilDiv(size - a, stride);
    }

    /**
     * The correlation of every sample: one sample per task, or, for small outputs, groups of
     * samples whose compact column matrix gives the kernel full column strips.
     */
    private void run(float[] a, int m, int depth, int[] rowOff, Padded in, MemorySegment src, long srcStride, int n,
                     int outH, int outW, MemorySegment dst, long dstStride) {
        int p = outH * outW;
        if (!isGrouped(p)) {
            parallel.forEach(n, (worker, i) -> correlate(scratch[worker], a, m, depth, rowOff, in, src, i * srcStride,
                    outH, outW, dst, i * dstStride));
            return;
        }
        int group = groupSize(p), stride = CpuGemm.roundUp(group * p, NR);
        int[] rows = tapRows(depth, stride);
        parallel.forEach(CpuGemm.ceilDiv(n, group), (worker, gi) -> {
            int first = gi * group, count = Math.min(group, n - first);
            Scratch sc = scratch[worker];
            float[] col = sc.col(depth * stride);
            gatherGroup(sc, in, rowOff, depth, src, first * srcStride, srcStride, count, outH, outW, col, stride);
            correlateGroup(sc.tile, a, m, depth, col, rows, count * p, p, dst, first * dstStride, dstStride);
        });
    }

    /**
     * Outputs of fewer than 64 positions (feature maps of 7x7 and below) run in groups: the
     * wide positions of a 4x4 map would leave more than half of every column strip padding.
     */
    private static boolean isGrouped(int positions) {
        return positions < 64;
    }

    /** Samples per group: at least 128 columns, four column strips. */
    private static int groupSize(int positions) {
        return CpuGemm.ceilDiv(128, positions);
    }

    void backwardFilter(ConvGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dw) {
        if (filterOnLanes(g)) {
            backwardFilterOnLanes(g, x, dy, dw);
            return;
        }
        Padded in = Padded.input(g);
        int k = g.k(), crs = g.c() * g.r() * g.s();
        boolean narrow = narrowFilterTile(g);
        int crsPad = CpuGemm.roundUp(crs, narrow ? 2 * MR : MR), kPad = CpuGemm.roundUp(k, narrow ? V : NR);
        int[] rowOff = rowOffsets(in, g.c(), g.r(), g.s(), crsPad);
        int oh = g.outH(), ow = g.outW(), p = oh * ow, wq = in.wq();
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) k * p;
        int threads = parallel.threads(), n = g.n();
        int blocks = Math.min(threads, n);
        for (int b = 0; b < blocks; b++) {
            if (partials[b].length < crsPad * kPad) partials[b] = new float[crsPad * kPad];
        }
        boolean grouped = isGrouped(p);
        int group = groupSize(p), stride = CpuGemm.roundUp(group * p, NR);
        int[] rows = grouped ? tapRows(crsPad, stride) : null;
        // Block b sums its consecutive samples in order into partial b; which worker runs a
        // block does not matter, so the rounding is the same every call.
        parallel.forEach(blocks, (worker, block) -> {
            int first = (int) ((long) n * block / blocks), end = (int) ((long) n * (block + 1) / blocks);
            Scratch sc = scratch[worker];
            float[] acc = partials[block];
            Arrays.fill(acc, 0, crsPad * kPad, 0f);
            if (grouped) {
                // Consecutive samples of the block, `group` at a time, as one run of positions.
                float[] gdyt = sc.dyt(group * p * kPad);
                for (int i = first; i < end; i += group) {
                    int count = Math.min(group, end - i);
                    float[] col = sc.col(crsPad * stride);
                    gatherGroup(sc, in, rowOff, crs, x, i * xs, xs, count, oh, ow, col, stride);
                    for (int j = 0; j < count; j++) transpose(dy, (i + j) * ys, k, p, kPad, gdyt, j * p * kPad, sc);
                    filterTiles(narrow, col, rows, crsPad, stride, 1, count * p, gdyt, kPad, acc);
                }
                return;
            }
            float[] xp = sc.plane(in.words());
            float[] dyt = sc.dyt(p * kPad);
            for (int i = first; i < end; i++) {
                pad(x, i * xs, in, xp, sc);
                transpose(dy, i * ys, k, p, kPad, dyt, 0, sc);
                filterTiles(narrow, xp, rowOff, crsPad, wq, oh, ow, dyt, kPad, acc);
            }
        });
        // dw[k][p] = partial 0 + partial 1 + ... in block order.
        parallel.forRange(k, (worker, k0, k1) -> {
            for (int kk = k0; kk < k1; kk++) {
                for (int q = 0; q < crs; q++) {
                    float sum = partials[0][q * kPad + kk];
                    for (int b = 1; b < blocks; b++) sum += partials[b][q * kPad + kk];
                    dw.setAtIndex(F, (long) kk * crs + q, sum);
                }
            }
        });
    }

    /** Filters of a lane tile. */
    private static final int LANE_FILTERS = 4;
    /** Taps of a lane tile: 4 x 6 vector accumulators, 4 dy vectors and one x vector fill AVX-512's 32 registers. */
    private static final int LANE_TAPS = 6;
    /** Most filters the lane tiles take: their partials hold V lanes per gradient element. */
    private static final int LANE_MAX_FILTERS = 32;
    /**
     * Positions a lane tile sweeps before its accumulators go back to memory: consecutive
     * samples of a block are padded side by side until they hold this many (4 samples of a
     * 16x16 map, one of 32x32).
     */
    private static final int LANE_PASS_POSITIONS = 1024;

    /**
     * The output positions of {@code samples} consecutive samples in the layout a lane tile
     * reads: {@code outH} rows of {@code outW} (a multiple of V), {@code wp} apart in a sample's
     * padded planes, which lie {@code planeWords} apart; a sample's dy rows of a filter lie
     * {@code outW} apart, those of consecutive samples {@code dyWords} apart.
     */
    private record Positions(int samples, int outH, int outW, int wp, int planeWords, int dyWords) {
    }

    /**
     * Whether the filter gradient of {@code g} runs with the output positions on the vector
     * lanes ({@link #laneTile}): up to 32 filters (ResNet's 16- and 32-filter stages, where the
     * taps x filters tiles hold one scalar broadcast per multiply-add), on natural columns
     * (outW a multiple of V, so each vector of positions is one run of an input row and of a
     * dy row) of an output not grouped.
     */
    static boolean filterOnLanes(ConvGeometry g) {
        return g.k() <= LANE_MAX_FILTERS && g.outW() % V == 0 && !isGrouped(g.outH() * g.outW());
    }

    /**
     * dW[k][tap] = sum_i sum_pos xp_i[rowOff(tap) + pos] * dy_i[k][pos] with positions on the
     * lanes: lane l of the accumulator of (k, tap) sums the positions l, l + V, ... of every
     * row, in row order, over the block's samples in order (one fused multiply-add each,
     * {@link #laneTile}); the element is then lane 0 + lane 1 + ... + lane V-1 of partial 0,
     * plus the same of partial 1, and so on in block order. The blocks are those of
     * {@link #backwardFilter}'s other tiles, so the bits depend on the thread count only.
     * dy is read as it lies (no transpose); lane partials are [tap tile][filter tile][tap][filter][V].
     */
    private void backwardFilterOnLanes(ConvGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dw) {
        Padded in = Padded.input(g);
        int k = g.k(), crs = g.c() * g.r() * g.s();
        int kPad = CpuGemm.roundUp(k, LANE_FILTERS), tPad = CpuGemm.roundUp(crs, LANE_TAPS);
        int[] rowOff = rowOffsets(in, g.c(), g.r(), g.s(), tPad);
        int oh = g.outH(), ow = g.outW(), p = oh * ow, wq = in.wq(), words = tPad * kPad * V;
        long xs = (long) g.c() * g.h() * g.w(), ys = (long) k * p;
        int n = g.n(), blocks = Math.min(parallel.threads(), n);
        int pass = Math.max(1, LANE_PASS_POSITIONS / p), planeWords = in.words();
        // one layout for every whole pass, made once per call (a short last pass of a block makes its own)
        Positions whole = new Positions(pass, oh, ow, wq, planeWords, (int) ys);
        for (int b = 0; b < blocks; b++) {
            if (partials[b].length < words) partials[b] = new float[words];
        }
        parallel.forEach(blocks, (worker, block) -> {
            int first = (int) ((long) n * block / blocks), end = (int) ((long) n * (block + 1) / blocks);
            Scratch sc = scratch[worker];
            float[] lanes = partials[block];
            Arrays.fill(lanes, 0, words, 0f);
            float[] xp = sc.plane(pass * planeWords);
            for (int i = first; i < end; i += pass) {
                int count = Math.min(pass, end - i);
                for (int j = 0; j < count; j++) pad(x, (i + j) * xs, in, xp, j * planeWords, sc);
                // After pad, which stages x in the same buffer; the samples' dy lie one after another.
                float[] d = sc.staged(dy, i * ys, (int) (count * ys));
                Positions at = count == pass ? whole : new Positions(count, oh, ow, wq, planeWords, (int) ys);
                for (int kt = 0; kt < kPad; kt += LANE_FILTERS) {
                    // Filters past k read filter k - 1's dy: their sums are never read.
                    int d0 = kt * p, d1 = Math.min(kt + 1, k - 1) * p, d2 = Math.min(kt + 2, k - 1) * p, d3 = Math.min(kt + 3, k - 1) * p;
                    for (int tt = 0; tt < tPad; tt += LANE_TAPS) {
                        laneTile(xp, rowOff, tt, at, d, d0, d1, d2, d3, lanes, (tt * kPad + kt * LANE_TAPS) * V);
                    }
                }
            }
        });
        parallel.forRange(k, (worker, k0, k1) -> {
            for (int kk = k0; kk < k1; kk++) {
                int kt = kk - kk % LANE_FILTERS;
                for (int q = 0; q < crs; q++) {
                    int tt = q - q % LANE_TAPS;
                    int at = (tt * kPad + kt * LANE_TAPS + (q - tt) * LANE_FILTERS + kk - kt) * V;
                    float sum = laneSum(partials[0], at);
                    for (int b = 1; b < blocks; b++) sum += laneSum(partials[b], at);
                    dw.setAtIndex(F, (long) kk * crs + q, sum);
                }
            }
        });
    }

    /** lanes[at] + lanes[at + 1] + ... + lanes[at + V - 1], left to right. */
    private static float laneSum(float[] lanes, int at) {
        float sum = lanes[at];
        for (int l = 1; l < V; l++) sum += lanes[at + l];
        return sum;
    }

    /**
     * lanes[at + (t * 4 + f) * V + l] += the sum, over rows i and vectors j in order, of
     * xp[rowOff[tt + t] + i * wp + j V + l] * dy[d_f + i * outW + j V + l] for the 6 taps t
     * and 4 filters f of the tile: each x vector serves 4 filters and each dy vector 6 taps,
     * 10 vector loads per 24 multiply-adds and no broadcast.
     */
    private static void laneTile(float[] xp, int[] rowOff, int tt, Positions pos, float[] dy,
                                 int d0, int d1, int d2, int d3, float[] lanes, int at) {
        FloatVector c00 = FloatVector.fromArray(SPECIES, lanes, at), c01 = FloatVector.fromArray(SPECIES, lanes, at + V),
                c02 = FloatVector.fromArray(SPECIES, lanes, at + 2 * V), c03 = FloatVector.fromArray(SPECIES, lanes, at + 3 * V),
                c10 = FloatVector.fromArray(SPECIES, lanes, at + 4 * V), c11 = FloatVector.fromArray(SPECIES, lanes, at + 5 * V),
                c12 = FloatVector.fromArray(SPECIES, lanes, at + 6 * V), c13 = FloatVector.fromArray(SPECIES, lanes, at + 7 * V),
                c20 = FloatVector.fromArray(SPECIES, lanes, at + 8 * V), c21 = FloatVector.fromArray(SPECIES, lanes, at + 9 * V),
                c22 = FloatVector.fromArray(SPECIES, lanes, at + 10 * V), c23 = FloatVector.fromArray(SPECIES, lanes, at + 11 * V),
                c30 = FloatVector.fromArray(SPECIES, lanes, at + 12 * V), c31 = FloatVector.fromArray(SPECIES, lanes, at + 13 * V),
                c32 = FloatVector.fromArray(SPECIES, lanes, at + 14 * V), c33 = FloatVector.fromArray(SPECIES, lanes, at + 15 * V),
                c40 = FloatVector.fromArray(SPECIES, lanes, at + 16 * V), c41 = FloatVector.fromArray(SPECIES, lanes, at + 17 * V),
                c42 = FloatVector.fromArray(SPECIES, lanes, at + 18 * V), c43 = FloatVector.fromArray(SPECIES, lanes, at + 19 * V),
                c50 = FloatVector.fromArray(SPECIES, lanes, at + 20 * V), c51 = FloatVector.fromArray(SPECIES, lanes, at + 21 * V),
                c52 = FloatVector.fromArray(SPECIES, lanes, at + 22 * V), c53 = FloatVector.fromArray(SPECIES, lanes, at + 23 * V);
        int o0 = rowOff[tt], o1 = rowOff[tt + 1], o2 = rowOff[tt + 2], o3 = rowOff[tt + 3], o4 = rowOff[tt + 4], o5 = rowOff[tt + 5];
        // One loop over all vectors of positions, stepping to the next row by hand: a loop per
        // row of one or two vectors (16x16 and 32x32 maps) ran at half the rate.
        int perRow = pos.outW() / V, outH = pos.outH(), vectors = pos.samples() * outH * perRow;
        int skip = pos.wp() - pos.outW(), planeSkip = pos.planeWords() - outH * pos.wp(), dySkip = pos.dyWords() - outH * pos.outW();
        for (int v = 0, col = 0, row = 0, xj = 0, dj = 0; v < vectors; v++) {
            {
                FloatVector y0 = FloatVector.fromArray(SPECIES, dy, d0 + dj), y1 = FloatVector.fromArray(SPECIES, dy, d1 + dj),
                        y2 = FloatVector.fromArray(SPECIES, dy, d2 + dj), y3 = FloatVector.fromArray(SPECIES, dy, d3 + dj);
                FloatVector a = FloatVector.fromArray(SPECIES, xp, o0 + xj);
                c00 = a.fma(y0, c00);
                c01 = a.fma(y1, c01);
                c02 = a.fma(y2, c02);
                c03 = a.fma(y3, c03);
                a = FloatVector.fromArray(SPECIES, xp, o1 + xj);
                c10 = a.fma(y0, c10);
                c11 = a.fma(y1, c11);
                c12 = a.fma(y2, c12);
                c13 = a.fma(y3, c13);
                a = FloatVector.fromArray(SPECIES, xp, o2 + xj);
                c20 = a.fma(y0, c20);
                c21 = a.fma(y1, c21);
                c22 = a.fma(y2, c22);
                c23 = a.fma(y3, c23);
                a = FloatVector.fromArray(SPECIES, xp, o3 + xj);
                c30 = a.fma(y0, c30);
                c31 = a.fma(y1, c31);
                c32 = a.fma(y2, c32);
                c33 = a.fma(y3, c33);
                a = FloatVector.fromArray(SPECIES, xp, o4 + xj);
                c40 = a.fma(y0, c40);
                c41 = a.fma(y1, c41);
                c42 = a.fma(y2, c42);
                c43 = a.fma(y3, c43);
                a = FloatVector.fromArray(SPECIES, xp, o5 + xj);
                c50 = a.fma(y0, c50);
                c51 = a.fma(y1, c51);
                c52 = a.fma(y2, c52);
                c53 = a.fma(y3, c53);
            }
            xj += V;
            dj += V;
            if (++col == perRow) {
                col = 0;
                xj += skip;
                if (++row == outH) {
                    row = 0;
                    xj += planeSkip;
                    dj += dySkip;
                }
            }
        }
        c00.intoArray(lanes, at);
        c01.intoArray(lanes, at + 1 * V);
        c02.intoArray(lanes, at + 2 * V);
        c03.intoArray(lanes, at + 3 * V);
        c10.intoArray(lanes, at + 4 * V);
        c11.intoArray(lanes, at + 5 * V);
        c12.intoArray(lanes, at + 6 * V);
        c13.intoArray(lanes, at + 7 * V);
        c20.intoArray(lanes, at + 8 * V);
        c21.intoArray(lanes, at + 9 * V);
        c22.intoArray(lanes, at + 10 * V);
        c23.intoArray(lanes, at + 11 * V);
        c30.intoArray(lanes, at + 12 * V);
        c31.intoArray(lanes, at + 13 * V);
        c32.intoArray(lanes, at + 14 * V);
        c33.intoArray(lanes, at + 15 * V);
        c40.intoArray(lanes, at + 16 * V);
        c41.intoArray(lanes, at + 17 * V);
        c42.intoArray(lanes, at + 18 * V);
        c43.intoArray(lanes, at + 19 * V);
        c50.intoArray(lanes, at + 20 * V);
        c51.intoArray(lanes, at + 21 * V);
        c52.intoArray(lanes, at + 22 * V);
        c53.intoArray(lanes, at + 23 * V);
    }

    // ------------------------------------------------------------------ packing

    /** Where filter element (m, p) of the packed operand sits in the filter tensor. */
    @FunctionalInterface
    private interface FilterIndex {
        long of(int m, int p);
    }

    /** The [m x depth] filter operand into MR-row strips: strip, then depth, then the MR rows; zero rows pad the last strip. */
    private void packFilter(MemorySegment w, int m, int depth, FilterIndex index) {
        packed = pack(packed, w, m, depth, index);
    }

    /** {@link #packFilter} into {@code into}, or a bigger array it returns. */
    private static float[] pack(float[] into, MemorySegment w, int m, int depth, FilterIndex index) {
        int strips = CpuGemm.ceilDiv(m, MR);
        int words = strips * MR * depth;
        float[] pa = into == null || into.length < words ? new float[words] : into;
        for (int st = 0; st < strips; st++) {
            int base = st * MR * depth;
            for (int r = 0; r < MR; r++) {
                int row = st * MR + r;
                for (int p = 0, d = base + r; p < depth; p++, d += MR) {
                    pa[d] = row < m ? w.getAtIndex(F, index.of(row, p)) : 0f;
                }
            }
        }
        return pa;
    }

    /**
     * Offsets into the padded plane of each tap (ch, r, s), {@code count} entries; taps past
     * the real ones (the padding of the last filter-gradient strip) read offset 0.
     */
    private int[] rowOffsets(Padded in, int channels, int r, int s, int count) {
        // Reused by every call: the workers of one call finish before the next call starts.
        rowOffsets = offsets(rowOffsets, in, channels, r, s, count);
        return rowOffsets;
    }

    /** {@link #rowOffsets} into {@code into}, or a bigger array it returns. */
    private static int[] offsets(int[] into, Padded in, int channels, int r, int s, int count) {
        int[] off = into == null || into.length < count ? new int[count] : into;
        int taps = channels * r * s;
        for (int p = 0; p < count; p++) {
            if (p >= taps) {
                off[p] = 0;
                continue;
            }
            int ch = p / (r * s), rr = (p / s) % r, ss = p % s;
            off[p] = in.offset(ch, rr, ss);
        }
        return off;
    }

    /** xp = the sample's planes, zero-padded (and split into their stride phases). */
    private static void pad(MemorySegment src, long srcOff, Padded in, float[] xp, Scratch sc) {
        pad(src, srcOff, in, xp, 0, sc);
    }

    /** The same into xp from {@code at} on (one of several samples' planes side by side). */
    private static void pad(MemorySegment src, long srcOff, Padded in, float[] xp, int at, Scratch sc) {
        int hp = in.hp(), wp = in.wp(), h = in.h(), w = in.w(), padH = in.padH(), padW = in.padW();
        if (in.strideH() > 1 || in.strideW() > 1) {
            Arrays.fill(xp, at, at + in.words(), 0f);
            padPhases(sc.staged(src, srcOff, in.channels() * h * w), in, xp, at);
            return;
        }
        // the zero vectors below cover V words of padding on each side of a row
        if (padW > V) Arrays.fill(xp, at, at + in.words(), 0f);
        // Rows go straight from the tensor into the plane, a vector at a time (the row's last
        // w % V words under a mask): no heap copy of the sample in between, which read and
        // wrote every input word once more. Only the padding is zeroed, not the whole plane
        // first: the top and bottom rows by fill, and around each row a zero vector before it
        // (its left padding) and one after it (its right padding, running on into the next
        // row, which is written after it, or into zeros). Every word is written in increasing
        // order of rows, so what a zero vector runs over is rewritten later.
        FloatVector zero = FloatVector.zero(SPECIES);
        VectorMask<Float> tail = VectorMask.fromLong(SPECIES, (1L << (w % V)) - 1);
        int full = w - w % V, plane = hp * wp;
        for (int ch = 0; ch < in.channels(); ch++) {
            int top = at + ch * plane;
            Arrays.fill(xp, top, top + padH * wp, 0f);
            for (int row = 0; row < h; row++) {
                int to = at + (ch * hp + row + padH) * wp + padW;
                long from = (srcOff + (long) (ch * h + row) * w) * Float.BYTES;
                if (padW > 0) zero.intoArray(xp, to - padW);
                for (int j = 0; j < full; j += V) {
                    FloatVector.fromMemorySegment(SPECIES, src, from + (long) j * Float.BYTES, ORDER).intoArray(xp, to + j);
                }
                if (full < w) {
                    FloatVector.fromMemorySegment(SPECIES, src, from + (long) full * Float.BYTES, ORDER, tail).intoArray(xp, to + full, tail);
                }
                if (padW > 0) zero.intoArray(xp, to + w);
            }
            Arrays.fill(xp, top + (padH + h) * wp, top + plane, 0f);
        }
        // the slack past the planes (the last column strips read into it)
        Arrays.fill(xp, at + in.channels() * plane, at + in.words(), 0f);
    }

    /**
     * Each input row into the phases that keep it: its columns b - padW, b - padW + strideW,
     * ... go to phase column b. At stride 2 a vector's worth of a phase is the even elements
     * of two vectors of the row.
     */
    private static void padPhases(float[] staged, Padded in, float[] xp, int at) {
        int h = in.h(), w = in.w(), sh = in.strideH(), sw = in.strideW(), wq = in.wq();
        for (int ch = 0; ch < in.channels(); ch++) {
            for (int row = 0; row < h; row++) {
                int a = (row + in.padH()) % sh;
                if (a >= in.phaseRows()) continue; // a row no tap reads
                int line = (ch * h + row) * w;
                int rowStart = ((row + in.padH()) / sh) * wq;
                for (int b = 0; b < in.phaseCols(); b++) {
                    int col = Math.floorMod(b - in.padW(), sw);
                    int to = at + in.offset(ch, a, b) + rowStart + (col + in.padW()) / sw;
                    int count = CpuGemm.ceilDiv(w - col, sw), j = 0;
                    if (sw == 2) {
                        // Reads up to 2V - 1 past the row's first element read, inside the staging slack; keeps only elements below w.
                        for (; j + V <= count; j += V, col += 2 * V) {
                            FloatVector.fromArray(SPECIES, staged, line + col)
                                    .rearrange(EVENS, FloatVector.fromArray(SPECIES, staged, line + col + V)).intoArray(xp, to + j);
                        }
                    }
                    for (; j < count; j++, col += sw) xp[to + j] = staged[line + col];
                }
            }
        }
    }

    /** dyt[at + pos * kPad + k] = dy[k][pos] for k < rows, zero up to kPad. */
    private static void transpose(MemorySegment dy, long off, int rows, int p, int kPad, float[] dyt, int at, Scratch sc) {
        for (int pos = 0; pos < p; pos++) {
            int d = at + pos * kPad;
            for (int k = rows; k < kPad; k++) dyt[d + k] = 0f;
        }
        float[] staged = sc.staged(dy, off, rows * p);
        for (int k = 0; k < rows; k++) {
            for (int pos = 0, src = k * p, d = at + k; pos < p; pos++, d += kPad) dyt[d] = staged[src + pos];
        }
    }

    /** tapRows[t] = t * stride for {@code count} taps. */
    private int[] tapRows(int count, int stride) {
        if (tapRows.length < count) tapRows = new int[count];
        for (int t = 0; t < count; t++) tapRows[t] = t * stride;
        return tapRows;
    }

    /**
     * The compact column matrix of {@code count} consecutive samples:
     * col[t * stride + j * P + oh * outW + ow] = xp_j[rowOff[t] + oh * wp + ow] for the
     * first {@code taps} taps, each sample's planes padded in turn.
     */
    private static void gatherGroup(Scratch sc, Padded in, int[] rowOff, int taps, MemorySegment src, long srcOff, long srcStride,
                                    int count, int outH, int outW, float[] col, int stride) {
        float[] xp = sc.plane(in.words());
        int p = outH * outW, wp = in.wq();
        for (int j = 0; j < count; j++) {
            pad(src, srcOff + j * srcStride, in, xp, sc);
            for (int t = 0; t < taps; t++) {
                int from = rowOff[t], to = t * stride + j * p;
                for (int i = 0; i < outH; i++) System.arraycopy(xp, from + i * wp, col, to + i * outW, outW);
            }
        }
    }

    /**
     * out_j[m][pos] = sum_t A[m][t] * col[t * stride + j * P + pos] for the {@code columns}
     * = count * P columns of a group; each tile row is split into per-sample runs of y.
     */
    private static void correlateGroup(float[] tile, float[] a, int m, int depth, float[] col, int[] rows, int columns, int p,
                                       MemorySegment dst, long dstOff, long dstStride) {
        int strips = CpuGemm.ceilDiv(m, MR);
        for (int c0 = 0; c0 < columns; c0 += NR) {
            int end = Math.min(columns, c0 + NR);
            for (int st = 0; st < strips; st++) {
                CpuGemm.multiply8(depth, a, st * MR * depth, col, rows, c0, c0 + V, tile);
                int valid = Math.min(MR, m - st * MR);
                for (int r = 0; r < valid; r++) {
                    int row = st * MR + r;
                    for (int c = c0; c < end; ) {
                        int j = c / p, pos = c % p, run = Math.min(end - c, p - pos);
                        copyOut(tile, r * NR + c - c0, dst, dstOff + j * dstStride + (long) row * p + pos, run);
                        c += run;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ forward-type correlation

    /**
     * out[m][outH][outW] = sum_p A[m][p] * xp[rowOff[p] + pos] for one sample, where xp is the
     * zero-padded copy of {@code src}. Each column strip is swept by every row strip while its
     * B vectors are still in L1.
     */
    private static void correlate(Scratch sc, float[] a, int m, int depth, int[] rowOff, Padded in,
                                  MemorySegment src, long srcOff, int outH, int outW, MemorySegment dst, long dstOff) {
        correlate(sc, null, a, m, depth, rowOff, in, src, srcOff, outH, outW, dst, dstOff);
    }

    /** The same, each column strip with the taps {@code bands} gives it where there are bands. */
    private static void correlate(Scratch sc, TapBands bands, float[] a, int m, int depth, int[] rowOff, Padded in,
                                  MemorySegment src, long srcOff, int outH, int outW, MemorySegment dst, long dstOff) {
        float[] xp = sc.plane(in.words());
        pad(src, srcOff, in, xp, sc);
        int strips = CpuGemm.ceilDiv(m, MR), wp = in.wq();
        float[] tile = sc.tile;
        Taps all = new Taps(a, depth, rowOff);
        if (outW % V == 0) {
            int p = outH * outW;
            for (int col = 0; col < p; col += NR) {
                int cols = Math.min(NR, p - col);
                int b0 = (col / outW) * wp + col % outW;
                int second = cols > V ? col + V : col;
                int b1 = (second / outW) * wp + second % outW;
                Taps t = bands == null ? all : bands.strip(col);
                for (int st = 0; st < strips; st++) {
                    CpuGemm.multiply8(t.depth(), t.packed(), st * MR * t.depth(), xp, t.rowOff(), b0, b1, tile);
                    int rows = Math.min(MR, m - st * MR);
                    for (int r = 0; r < rows; r++) {
                        long at = (dstOff + (long) (st * MR + r) * p + col) * Float.BYTES;
                        FloatVector.fromArray(SPECIES, tile, r * NR).intoMemorySegment(dst, at, ORDER);
                        if (cols > V) FloatVector.fromArray(SPECIES, tile, r * NR + V).intoMemorySegment(dst, at + (long) V * Float.BYTES, ORDER);
                    }
                }
            }
            return;
        }
        int q = outH * wp, qPad = CpuGemm.roundUp(q, NR);
        float[] wide = sc.wide(strips * MR * qPad);
        for (int col = 0; col < q; col += NR) {
            Taps t = bands == null ? all : bands.strip(col);
            for (int st = 0; st < strips; st++) {
                CpuGemm.multiply8(t.depth(), t.packed(), st * MR * t.depth(), xp, t.rowOff(), col, col + V, tile);
                for (int r = 0; r < MR; r++) System.arraycopy(tile, r * NR, wide, (st * MR + r) * qPad + col, NR);
            }
        }
        float[] result = sc.result(m * outH * outW);
        for (int row = 0; row < m; row++) {
            for (int i = 0; i < outH; i++) System.arraycopy(wide, row * qPad + i * wp, result, (row * outH + i) * outW, outW);
        }
        MemorySegment.copy(result, 0, dst, F, dstOff * Float.BYTES, m * outH * outW);
    }

    private static void copyOut(float[] src, int from, MemorySegment dst, long to, int n) {
        int j = 0;
        for (int bound = n - n % V; j < bound; j += V) {
            FloatVector.fromArray(SPECIES, src, from + j).intoMemorySegment(dst, (to + j) * Float.BYTES, ORDER);
        }
        for (; j < n; j++) dst.setAtIndex(F, to + j, src[from + j]);
    }

    // The filter-gradient kernel keeps its accumulators in registers across all positions
    // and hands them over through the partial array, as CpuGemm's kernels do through a tile.

    /**
     * acc += the whole filter gradient of one run of positions ({@code outH} rows of
     * {@code outW}, {@code wp} apart in xp): tiles of 2 MR taps x V filters when
     * {@code narrow} (kPad = V), else MR taps x NR filters. Either way each gradient element
     * sums the positions in row-major order, so the tile shape does not change the bits.
     */
    private static void filterTiles(boolean narrow, float[] xp, int[] rowOff, int crsPad, int wp, int outH, int outW,
                                    float[] dyt, int kPad, float[] acc) {
        if (narrow) {
            for (int ps = 0; ps < crsPad; ps += 2 * MR) filterTile16(xp, rowOff, ps, wp, outH, outW, dyt, acc, ps * kPad);
            return;
        }
        for (int ks = 0; ks < kPad; ks += NR) {
            for (int ps = 0; ps < crsPad; ps += MR) filterTile(xp, rowOff, ps, wp, outH, outW, dyt, kPad, ks, acc, ps * kPad + ks);
        }
    }

    /**
     * acc[16 taps x V filters] += the sum over the valid output positions, in row-major
     * order, of xp[rowOff[tap] + oh * wp + ow] * dyt[oh * outW + ow][filters], for kPad = V.
     */
    private static void filterTile16(float[] xp, int[] rowOff, int ps, int wp, int outH, int outW, float[] dyt,
                                     float[] acc, int at) {
        FloatVector c00 = FloatVector.fromArray(SPECIES, acc, at), c01 = FloatVector.fromArray(SPECIES, acc, at + V),
                c02 = FloatVector.fromArray(SPECIES, acc, at + 2 * V), c03 = FloatVector.fromArray(SPECIES, acc, at + 3 * V),
                c04 = FloatVector.fromArray(SPECIES, acc, at + 4 * V), c05 = FloatVector.fromArray(SPECIES, acc, at + 5 * V),
                c06 = FloatVector.fromArray(SPECIES, acc, at + 6 * V), c07 = FloatVector.fromArray(SPECIES, acc, at + 7 * V),
                c08 = FloatVector.fromArray(SPECIES, acc, at + 8 * V), c09 = FloatVector.fromArray(SPECIES, acc, at + 9 * V),
                c10 = FloatVector.fromArray(SPECIES, acc, at + 10 * V), c11 = FloatVector.fromArray(SPECIES, acc, at + 11 * V),
                c12 = FloatVector.fromArray(SPECIES, acc, at + 12 * V), c13 = FloatVector.fromArray(SPECIES, acc, at + 13 * V),
                c14 = FloatVector.fromArray(SPECIES, acc, at + 14 * V), c15 = FloatVector.fromArray(SPECIES, acc, at + 15 * V);
        int o0 = rowOff[ps], o1 = rowOff[ps + 1], o2 = rowOff[ps + 2], o3 = rowOff[ps + 3],
                o4 = rowOff[ps + 4], o5 = rowOff[ps + 5], o6 = rowOff[ps + 6], o7 = rowOff[ps + 7],
                o8 = rowOff[ps + 8], o9 = rowOff[ps + 9], o10 = rowOff[ps + 10], o11 = rowOff[ps + 11],
                o12 = rowOff[ps + 12], o13 = rowOff[ps + 13], o14 = rowOff[ps + 14], o15 = rowOff[ps + 15];
        for (int i = 0; i < outH; i++) {
            int xr = i * wp, t = i * outW * V;
            for (int j = 0; j < outW; j++, t += V) {
                int x = xr + j;
                FloatVector v = FloatVector.fromArray(SPECIES, dyt, t);
                c00 = FloatVector.broadcast(SPECIES, xp[o0 + x]).fma(v, c00);
                c01 = FloatVector.broadcast(SPECIES, xp[o1 + x]).fma(v, c01);
                c02 = FloatVector.broadcast(SPECIES, xp[o2 + x]).fma(v, c02);
                c03 = FloatVector.broadcast(SPECIES, xp[o3 + x]).fma(v, c03);
                c04 = FloatVector.broadcast(SPECIES, xp[o4 + x]).fma(v, c04);
                c05 = FloatVector.broadcast(SPECIES, xp[o5 + x]).fma(v, c05);
                c06 = FloatVector.broadcast(SPECIES, xp[o6 + x]).fma(v, c06);
                c07 = FloatVector.broadcast(SPECIES, xp[o7 + x]).fma(v, c07);
                c08 = FloatVector.broadcast(SPECIES, xp[o8 + x]).fma(v, c08);
                c09 = FloatVector.broadcast(SPECIES, xp[o9 + x]).fma(v, c09);
                c10 = FloatVector.broadcast(SPECIES, xp[o10 + x]).fma(v, c10);
                c11 = FloatVector.broadcast(SPECIES, xp[o11 + x]).fma(v, c11);
                c12 = FloatVector.broadcast(SPECIES, xp[o12 + x]).fma(v, c12);
                c13 = FloatVector.broadcast(SPECIES, xp[o13 + x]).fma(v, c13);
                c14 = FloatVector.broadcast(SPECIES, xp[o14 + x]).fma(v, c14);
                c15 = FloatVector.broadcast(SPECIES, xp[o15 + x]).fma(v, c15);
            }
        }
        c00.intoArray(acc, at);
        c01.intoArray(acc, at + V);
        c02.intoArray(acc, at + 2 * V);
        c03.intoArray(acc, at + 3 * V);
        c04.intoArray(acc, at + 4 * V);
        c05.intoArray(acc, at + 5 * V);
        c06.intoArray(acc, at + 6 * V);
        c07.intoArray(acc, at + 7 * V);
        c08.intoArray(acc, at + 8 * V);
        c09.intoArray(acc, at + 9 * V);
        c10.intoArray(acc, at + 10 * V);
        c11.intoArray(acc, at + 11 * V);
        c12.intoArray(acc, at + 12 * V);
        c13.intoArray(acc, at + 13 * V);
        c14.intoArray(acc, at + 14 * V);
        c15.intoArray(acc, at + 15 * V);
    }

    /**
     * acc[8 taps x NR filters] += the sum over the valid output positions, in row-major
     * order, of xp[rowOff[tap] + oh * wp + ow] * dyt[oh * outW + ow][filters].
     */
    private static void filterTile(float[] xp, int[] rowOff, int ps, int wp, int outH, int outW, float[] dyt, int kPad,
                                   int ks, float[] acc, int at) {
        FloatVector c00 = FloatVector.fromArray(SPECIES, acc, at), c01 = FloatVector.fromArray(SPECIES, acc, at + V),
                c10 = FloatVector.fromArray(SPECIES, acc, at + kPad), c11 = FloatVector.fromArray(SPECIES, acc, at + kPad + V),
                c20 = FloatVector.fromArray(SPECIES, acc, at + 2 * kPad), c21 = FloatVector.fromArray(SPECIES, acc, at + 2 * kPad + V),
                c30 = FloatVector.fromArray(SPECIES, acc, at + 3 * kPad), c31 = FloatVector.fromArray(SPECIES, acc, at + 3 * kPad + V),
                c40 = FloatVector.fromArray(SPECIES, acc, at + 4 * kPad), c41 = FloatVector.fromArray(SPECIES, acc, at + 4 * kPad + V),
                c50 = FloatVector.fromArray(SPECIES, acc, at + 5 * kPad), c51 = FloatVector.fromArray(SPECIES, acc, at + 5 * kPad + V),
                c60 = FloatVector.fromArray(SPECIES, acc, at + 6 * kPad), c61 = FloatVector.fromArray(SPECIES, acc, at + 6 * kPad + V),
                c70 = FloatVector.fromArray(SPECIES, acc, at + 7 * kPad), c71 = FloatVector.fromArray(SPECIES, acc, at + 7 * kPad + V);
        int o0 = rowOff[ps], o1 = rowOff[ps + 1], o2 = rowOff[ps + 2], o3 = rowOff[ps + 3],
                o4 = rowOff[ps + 4], o5 = rowOff[ps + 5], o6 = rowOff[ps + 6], o7 = rowOff[ps + 7];
        for (int i = 0; i < outH; i++) {
            int xr = i * wp, t = i * outW * kPad + ks;
            for (int j = 0; j < outW; j++, t += kPad) {
                int x = xr + j;
                FloatVector v0 = FloatVector.fromArray(SPECIES, dyt, t);
                FloatVector v1 = FloatVector.fromArray(SPECIES, dyt, t + V);
                FloatVector a = FloatVector.broadcast(SPECIES, xp[o0 + x]);
                c00 = a.fma(v0, c00);
                c01 = a.fma(v1, c01);
                a = FloatVector.broadcast(SPECIES, xp[o1 + x]);
                c10 = a.fma(v0, c10);
                c11 = a.fma(v1, c11);
                a = FloatVector.broadcast(SPECIES, xp[o2 + x]);
                c20 = a.fma(v0, c20);
                c21 = a.fma(v1, c21);
                a = FloatVector.broadcast(SPECIES, xp[o3 + x]);
                c30 = a.fma(v0, c30);
                c31 = a.fma(v1, c31);
                a = FloatVector.broadcast(SPECIES, xp[o4 + x]);
                c40 = a.fma(v0, c40);
                c41 = a.fma(v1, c41);
                a = FloatVector.broadcast(SPECIES, xp[o5 + x]);
                c50 = a.fma(v0, c50);
                c51 = a.fma(v1, c51);
                a = FloatVector.broadcast(SPECIES, xp[o6 + x]);
                c60 = a.fma(v0, c60);
                c61 = a.fma(v1, c61);
                a = FloatVector.broadcast(SPECIES, xp[o7 + x]);
                c70 = a.fma(v0, c70);
                c71 = a.fma(v1, c71);
            }
        }
        c00.intoArray(acc, at);
        c01.intoArray(acc, at + V);
        c10.intoArray(acc, at + kPad);
        c11.intoArray(acc, at + kPad + V);
        c20.intoArray(acc, at + 2 * kPad);
        c21.intoArray(acc, at + 2 * kPad + V);
        c30.intoArray(acc, at + 3 * kPad);
        c31.intoArray(acc, at + 3 * kPad + V);
        c40.intoArray(acc, at + 4 * kPad);
        c41.intoArray(acc, at + 4 * kPad + V);
        c50.intoArray(acc, at + 5 * kPad);
        c51.intoArray(acc, at + 5 * kPad + V);
        c60.intoArray(acc, at + 6 * kPad);
        c61.intoArray(acc, at + 6 * kPad + V);
        c70.intoArray(acc, at + 7 * kPad);
        c71.intoArray(acc, at + 7 * kPad + V);
    }
}
