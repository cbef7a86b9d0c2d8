package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * 3x3, stride-1 convolution as Winograd F(2x2, 3x3): each 2x2 block of outputs comes from
 * the 4x4 input tile under it (tiles overlap by two rows and columns) with 16 multiplies per
 * (filter, channel) pair instead of 36. With the transforms
 * <pre>
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * </pre>
 * and xi = 0..15 the positions of a transformed 4x4 tile, t a tile of a sample:
 * <pre>
 *   forward          U = G g G^T (once per call), V = B^T d B;  M[xi] (K x T) = U[xi] (K x C) V[xi] (C x T);  y = A^T M A
 *   backward data    dM = A dy A^T;  dV[xi] (C x T) = U[xi]^T dM[xi];  dx += B dV B^T, tile by tile in order
 *   backward filter  dU[xi] (K x C) = sum over tiles of dM[xi] V[xi]^T;  dw = G^T dU G
 * </pre>
 * The 16 products per call are {@link CpuGemm#multiply8}'s 8 x 2-vector register tiles over
 * operands laid out for it; the tile transforms run V tiles of a tile row at a time as
 * vector adds over planes split into even and odd columns, or, on maps of at most
 * {@link #NARROW_ROW} tiles a row, V tiles of a group of samples gathered across tile rows
 * and samples ({@link Gather}); the filter's run on V filters at a time, once per call. The
 * filter gradient transposes a group's row-major V and dM into the products' operands in
 * registers. An odd output size leaves the last
 * tile of a row or column half outside: its input is zero padding and its extra outputs are
 * dropped (their gradients are zero).
 *
 * <p>Forward and backward data run one group of consecutive samples per task (one sample
 * when it has at least 128 tiles; more for small maps so that the products see full
 * column strips), and every tile is a column of its own products, so the group does not
 * change a bit: the same result on any thread count. The filter gradient is summed over
 * the same fixed blocks of consecutive samples as {@link CpuImplicitConvolution}'s, in
 * sample order inside a block, and the block partials are added in block order: the same
 * bits on every call for a thread count. All scratch is on the heap, per worker or per
 * block, grown once.
 */
final class CpuWinogradConvolution {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    /** Rows of multiply8's register tile. */
    private static final int MR = 8;
    /** Columns of multiply8's register tile: two vectors. */
    private static final int NR = 2 * V;
    /** Positions of a transformed 4x4 tile. */
    private static final int XI = 16;
    /** Tiles a task's products should span at least (four column strips). */
    private static final int MIN_TILES = 128;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /**
     * Maps of at most this many tiles per tile row (outputs up to 8 wide) gather their tiles'
     * inputs ({@link Gather}), V tiles of the group at a time, instead of transforming one tile
     * row (2 of 16 lanes busy on a 4x4 map, 1 on 2x2) from the split planes.
     */
    private static final int NARROW_ROW = V / 4;

    /** One worker's buffers. */
    private static final class Scratch {
        float[] plane = new float[0];
        float[] in = new float[0];
        float[] out = new float[0];
        float[] sample = new float[0];
        float[] line = new float[0];
        float[] filters = new float[0];
        float[] group = new float[0];
        final float[] tile = new float[MR * NR];
        /** Where the rows of a transposed block start. */
        final int[] offsets = new int[V];
        /** The 16 positions of a transformed tile, a vector (of V filters) each. */
        final float[] t16 = new float[XI * V];

        /** The buffer itself if it holds {@code words}, else a new one that does (the old contents are not kept). */
        private static float[] grown(float[] buffer, int words) {
            return buffer.length < words ? new float[words] : buffer;
        }

        float[] plane(int words) { return plane = grown(plane, words); }
        float[] in(int words) { return in = grown(in, words); }
        float[] out(int words) { return out = grown(out, words); }
        float[] sample(int words) { return sample = grown(sample, words); }
        float[] line(int words) { return line = grown(line, words); }
        float[] filters(int words) { return filters = grown(filters, words); }
        float[] group(int words) { return group = grown(group, words); }
    }

    private final Parallel parallel;
    private final Scratch[] scratch;
    /** Filter-gradient partials, one per block of samples, [xi][C rounded to MR][K rounded to NR]. */
    private final float[][] partials;
    /** The transformed filter, packed as multiply8's A operand: [xi][row strip][depth][MR]. */
    private float[] packed = new float[0];
    private int[] rowStarts = new int[0];

    CpuWinogradConvolution(Parallel parallel) {
        this.parallel = parallel;
        this.scratch = new Scratch[parallel.threads()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new Scratch();
        this.partials = new float[parallel.threads()][0];
    }

    /** 3x3 filters, stride 1, padding at most 2 (so every tile starts inside the padded input), a 16-lane vector unit. */
    static boolean applies(ConvGeometry g) {
        return V >= 16 && g.r() == 3 && g.s() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.padH() <= 2 && g.padW() <= 2;
    }

    /** The three passes, which the dispatch rule treats apart. */
    enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /**
     * Where F(2x2, 3x3) is used, pass by pass, from single-thread times of every VGG-16 and
     * ResNet-20 3x3 layer at batch 128 against the implicit GEMM (docs/PERFORMANCE.md,
     * "Winograd F(2x2,3x3)" and "Winograd overheads"), with n = min(C, K) and P = outH * outW:
     * <table>
     *   <caption>the rule and the layers that set it</caption>
     *   <tr><th>pass</th><th>Winograd when</th><th>why</th></tr>
     *   <tr><td>forward</td><td>n >= 128, or n >= 64 and P >= 256</td><td>every VGG layer
     *       measured faster; ResNet-20's 16-64 channels slower (the transforms cost what the
     *       products save)</td></tr>
     *   <tr><td>filter gradient</td><td>the same</td><td>since the vectorised partial sum,
     *       filter transform and operand transposes, VGG's 64-channel 32x32 (122 -> 97 ms) and
     *       16x16 layers (62 -> 53, 120 -> 99) win too; ResNet-20's stay slower (12 -> 23,
     *       10 -> 13, 8 -> 10)</td></tr>
     *   <tr><td>backward data</td><td>n >= 128 and P <= 64</td><td>on the wide maps the
     *       masked read-modify-write of the padded planes per tile row costs what the
     *       products save (64 ch 32x32: 105 -> 115, 128 ch 16x16: 96 -> 113)</td></tr>
     * </table>
     */
    static boolean pays(ConvGeometry g, Pass pass) {
        if (!applies(g)) return false;
        int narrow = Math.min(g.c(), g.k()), positions = g.outH() * g.outW();
        return switch (pass) {
            case FORWARD, BACKWARD_FILTER -> narrow >= 128 || (narrow >= 64 && positions >= 256);
            case BACKWARD_DATA -> narrow >= 128 && positions <= 64;
        };
    }

    /**
     * The 2x2 output tiles of a convolution and the zero-padded planes they read:
     * {@code hp} rows cover every tile's 4x4 input, padding included; a row is stored as its
     * even padded columns then its odd ones, {@code half} words each.
     */
    private record Tiling(int tilesH, int tilesW, int padH, int padW, int h, int w, int outH, int outW) {
        static Tiling of(ConvGeometry g) {
            return new Tiling(CpuGemm.ceilDiv(g.outH(), 2), CpuGemm.ceilDiv(g.outW(), 2), g.padH(), g.padW(),
                    g.h(), g.w(), g.outH(), g.outW());
        }

        int perSample() { return tilesH * tilesW; }
        int hp() { return 2 * tilesH + 2; }
        /** Words of each half of a row: the tilesW + 1 even (or odd) padded columns, rounded up to whole vectors. */
        int half() { return CpuGemm.roundUp(tilesW + 1, V); }
        int rowWords() { return 2 * half(); }
        /** Planes plus a vector of slack: a tile row's last vector reads one word past its half. */
        int planeWords(int channels) { return channels * hp() * rowWords() + 2 * V; }
        /** A line buffer: two tile rows of output in halves, and one row interleaved. */
        int lineWords() { return 6 * half() + 2 * V + w; }
    }

    // ------------------------------------------------------------------ the three passes

    /**
     * A forward or backward-data call's schedule: tasks of {@code group} consecutive samples
     * ({@link #group}), whose row-major operands have rows of {@code rowStride} words.
     */
    private record Schedule(Tiling tiling, int tilesPerSample, int group, int tasks, int rowStride) {
    }

    private Schedule schedule(ConvGeometry g) {
        Tiling tl = Tiling.of(g);
        int tps = tl.perSample(), group = group(tps, g.n());
        return new Schedule(tl, tps, group, CpuGemm.ceilDiv(g.n(), group), rowStride(group * tps));
    }

    void forward(ConvGeometry g, MemorySegment x, MemorySegment w, MemorySegment y) {
        int c = g.c(), k = g.k(), n = g.n();
        Schedule sd = schedule(g);
        Tiling tl = sd.tiling();
        int tps = sd.tilesPerSample(), group = sd.group(), rs = sd.rowStride(), vXi = xiStride(c, rs), mXi = xiStride(k, rs);
        packFilter(w, k, c, false);
        int[] rows = rowStarts(c, rs);
        Gather inputs = Gather.inputTiles(g, tl, group), outputs = Gather.outputBlocks(g, tl, group);
        long xs = (long) c * g.h() * g.w(), ys = (long) k * g.outH() * g.outW();
        parallel.forEach(sd.tasks(), (worker, gi) -> {
            int first = gi * group, count = Math.min(group, n - first);
            Scratch sc = scratch[worker];
            float[] v = sc.in(XI * vXi), m = sc.out(XI * mXi);
            transformInputs(inputs, x, first, count, xs, c, tl, sc, v, vXi, rs);
            products(sc.tile, packed, k, c, v, rows, vXi, count * tps, m, mXi, rs);
            if (outputs != null) outputs.transformOutput(m, mXi, rs, k, count, sc, y, first * ys);
            else for (int j = 0; j < count; j++) outputTransform(m, mXi, rs, k, tl, j * tps, sc.line(tl.lineWords()), y, (first + j) * ys);
        });
    }

    void backwardData(ConvGeometry g, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int c = g.c(), k = g.k(), n = g.n();
        Schedule sd = schedule(g);
        Tiling tl = sd.tiling();
        int tps = sd.tilesPerSample(), group = sd.group(), rs = sd.rowStride(), mXi = xiStride(k, rs), vXi = xiStride(c, rs);
        packFilter(w, k, c, true);
        int[] rows = rowStarts(k, rs);
        Gather gradients = Gather.outputBlocks(g, tl, group);
        long xs = (long) c * g.h() * g.w(), ys = (long) k * g.outH() * g.outW();
        parallel.forEach(sd.tasks(), (worker, gi) -> {
            int first = gi * group, count = Math.min(group, n - first);
            Scratch sc = scratch[worker];
            float[] xp = sc.plane(tl.planeWords(c)), line = sc.line(tl.lineWords());
            float[] dm = sc.in(XI * mXi), dv = sc.out(XI * vXi);
            transformGradients(gradients, dy, first, count, ys, k, tl, sc, dm, mXi, rs);
            products(sc.tile, packed, c, k, dm, rows, mXi, count * tps, dv, vXi, rs);
            for (int j = 0; j < count; j++) {
                dataTransform(dv, vXi, rs, c, tl, j * tps, xp);
                crop(xp, c, tl, line, dx, (first + j) * xs);
            }
        });
    }

    void backwardFilter(ConvGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dw) {
        int c = g.c(), k = g.k(), n = g.n();
        Tiling tl = Tiling.of(g);
        int tps = tl.perSample(), group = CpuGemm.ceilDiv(MIN_TILES, tps), groupTiles = group * tps;
        int cPad = CpuGemm.roundUp(c, MR), kPad = CpuGemm.roundUp(k, NR), partialWords = XI * cPad * kPad;
        int blocks = Math.min(parallel.threads(), n);
        for (int b = 0; b < blocks; b++) {
            if (partials[b].length < partialWords) partials[b] = new float[partialWords];
        }
        int[] rows = rowStarts(groupTiles, kPad);
        int vXi = cPad * groupTiles, dmXi = groupTiles * kPad;
        int groupRs = rowStride(groupTiles), oneVXi = xiStride(c, groupRs), oneMXi = xiStride(k, groupRs);
        long xs = (long) c * g.h() * g.w(), ys = (long) k * g.outH() * g.outW();
        Gather inputs = Gather.inputTiles(g, tl, group), gradients = Gather.outputBlocks(g, tl, group);
        // Block b sums its consecutive samples, `group` at a time, in order into partial b;
        // which worker runs a block does not matter, so the rounding is the same every call.
        parallel.forEach(blocks, (worker, block) -> {
            int first = (int) ((long) n * block / blocks), end = (int) ((long) n * (block + 1) / blocks);
            Scratch sc = scratch[worker];
            float[] acc = partials[block];
            Arrays.fill(acc, 0, partialWords, 0f);
            float[] v = sc.in(XI * vXi), dm = sc.out(XI * dmXi), one = sc.sample(XI * xiStride(Math.max(c, k), groupRs));
            for (int i = first; i < end; i += group) {
                int count = Math.min(group, end - i), tiles = count * tps;
                // The group's transforms row-major (as forward and backward data write them),
                // then transposed into the layouts the products want.
                transformInputs(inputs, x, i, count, xs, c, tl, sc, one, oneVXi, groupRs);
                channelStrips(one, oneVXi, groupRs, c, tiles, v, vXi, groupTiles, sc.offsets);
                transformGradients(gradients, dy, i, count, ys, k, tl, sc, one, oneMXi, groupRs);
                tileMajor(one, oneMXi, groupRs, k, tiles, dm, dmXi, kPad, sc.offsets);
                filterProducts(sc.tile, v, vXi, groupTiles, cPad, dm, rows, dmXi, kPad, count * tps, acc);
            }
        });
        // dU = partial 0 + partial 1 + ... in block order, then dw = G^T dU G, V consecutive
        // filters at a time: the partials are [xi][c][kPad], so each position of V filters is
        // one vector, and the results go through a [filter][channel][tap] scratch so that each
        // filter's C x 9 weights are one contiguous copy.
        int rowWords = 9 * c;
        parallel.forRange(CpuGemm.ceilDiv(k, V), (worker, f0, f1) -> {
            Scratch sc = scratch[worker];
            float[] t = sc.t16, grads = sc.filters(V * rowWords);
            for (int fb = f0; fb < f1; fb++) {
                int k0 = fb * V, count = Math.min(V, k - k0);
                for (int cc = 0; cc < c; cc++) {
                    for (int xi = 0; xi < XI; xi++) {
                        int at = (xi * cPad + cc) * kPad + k0;
                        FloatVector sum = load(partials[0], at);
                        for (int b = 1; b < blocks; b++) sum = sum.add(load(partials[b], at));
                        sum.intoArray(t, xi * V);
                    }
                    for (int col = 0; col < 4; col++) gt(t, col, 4);
                    for (int row = 0; row < 3; row++) gt(t, 4 * row, 1);
                    for (int r = 0; r < 3; r++) {
                        for (int s = 0; s < 3; s++) {
                            int from = (r * 4 + s) * V, to = cc * 9 + r * 3 + s;
                            for (int f = 0; f < count; f++) grads[f * rowWords + to] = t[from + f];
                        }
                    }
                }
                for (int f = 0; f < count; f++) {
                    MemorySegment.copy(grads, f * rowWords, dw, F, (long) (k0 + f) * rowWords * Float.BYTES, rowWords);
                }
            }
        });
    }

    /**
     * Words per row of a row-major transformed operand: the tiles rounded up to column
     * strips, plus a vector that the transforms may write past a row's last tile (and that
     * keeps rows off a power-of-two stride, which made 16 rows share a handful of cache sets).
     */
    private static int rowStride(int tiles) {
        return CpuGemm.roundUp(tiles, NR) + V;
    }

    /** Words per transform position of a row-major operand: its rows, and a vector to break the power of two again. */
    private static int xiStride(int rows, int rowStride) {
        return rows * rowStride + V;
    }

    /** Samples per forward or backward-data task: at least {@link #MIN_TILES} tiles, but no fewer tasks than workers. */
    private int group(int tilesPerSample, int n) {
        return Math.max(1, Math.min(CpuGemm.ceilDiv(MIN_TILES, tilesPerSample), CpuGemm.ceilDiv(n, parallel.threads())));
    }

    // ------------------------------------------------------------------ products

    /**
     * out[xi][row][t] = sum_d A[xi][row][d] * b[xi * bXiStride + rows[d] + t] for the 16
     * positions, {@code columns} tiles; A is {@link #packed} with {@code m} rows and
     * {@code depth} deep, out is row-major with the given strides.
     */
    private static void products(float[] tile, float[] a, int m, int depth, float[] b, int[] rows, int bXiStride, int columns,
                                 float[] out, int outXiStride, int outRowStride) {
        int strips = CpuGemm.ceilDiv(m, MR);
        for (int xi = 0; xi < XI; xi++) {
            int aBase = xi * strips * MR * depth, bBase = xi * bXiStride, outBase = xi * outXiStride;
            for (int c0 = 0; c0 < columns; c0 += NR) {
                for (int st = 0; st < strips; st++) {
                    CpuGemm.multiply8(depth, a, aBase + st * MR * depth, b, rows, bBase + c0, bBase + c0 + V, tile);
                    int valid = Math.min(MR, m - st * MR);
                    for (int r = 0; r < valid; r++) System.arraycopy(tile, r * NR, out, outBase + (st * MR + r) * outRowStride + c0, NR);
                }
            }
        }
    }

    /**
     * acc[xi][ch][kk] += sum over the {@code tiles} tiles of V[xi][ch][t] * dM[xi][t][kk]:
     * V packed in channel strips, [xi][strip][t][MR] (the A operand), dM tile-major,
     * [xi][t][kPad] (the B operand).
     */
    private static void filterProducts(float[] tile, float[] v, int vXi, int groupTiles, int cPad, float[] dm, int[] rows,
                                       int dmXi, int kPad, int tiles, float[] acc) {
        for (int xi = 0; xi < XI; xi++) {
            int bBase = xi * dmXi;
            for (int cs = 0; cs < cPad; cs += MR) {
                int aBase = xi * vXi + cs * groupTiles;
                for (int k0 = 0; k0 < kPad; k0 += NR) {
                    CpuGemm.multiply8(tiles, v, aBase, dm, rows, bBase + k0, bBase + k0 + V, tile);
                    for (int r = 0; r < MR; r++) {
                        int at = (xi * cPad + cs + r) * kPad + k0;
                        load(acc, at).add(load(tile, r * NR)).intoArray(acc, at);
                        load(acc, at + V).add(load(tile, r * NR + V)).intoArray(acc, at + V);
                    }
                }
            }
        }
    }

    /**
     * dst[xi * dstXi + (ch / MR) * MR * groupTiles + t * MR + ch % MR] = src[xi * srcXi + ch * rowStride + t]
     * for the first {@code tiles} tiles: the channels in strips of MR, tile-major inside a
     * strip (multiply8's A operand).
     */
    private static void channelStrips(float[] src, int srcXi, int rowStride, int rows, int tiles, float[] dst, int dstXi,
                                      int groupTiles, int[] o) {
        transpose(src, srcXi, rowStride, rows, tiles, MR, dst, dstXi, groupTiles, MR, o);
    }

    /**
     * dst[xi * dstXi + t * dstRow + kk] = src[xi * srcXi + kk * rowStride + t] for the first
     * {@code tiles} tiles: tile-major rows (multiply8's B operand).
     */
    private static void tileMajor(float[] src, int srcXi, int rowStride, int rows, int tiles, float[] dst, int dstXi,
                                  int dstRow, int[] o) {
        transpose(src, srcXi, rowStride, rows, tiles, V, dst, dstXi, 1, dstRow, o);
    }

    /**
     * Row-major [rows][tiles] operands, one per position xi, to blocks of {@code blockRows}
     * rows (MR or V), tile-major inside a block: element (row, t) of position xi goes to
     * dst[xi * dstXi + r0 * blockStride + t * tileStride + row - r0], r0 its block's first
     * row. V tiles of a block at a time are a blockRows x V block transposed in registers
     * ({@link #strip8}, {@link #block16}); in those, the rows past the last one repeat it,
     * into rows or columns that are never read.
     */
    private static void transpose(float[] src, int srcXi, int rowStride, int rows, int tiles, int blockRows, float[] dst,
                                  int dstXi, int blockStride, int tileStride, int[] o) {
        for (int xi = 0; xi < XI; xi++) {
            for (int r0 = 0; r0 < rows; r0 += blockRows) {
                for (int r = 0; r < blockRows; r++) o[r] = xi * srcXi + Math.min(r0 + r, rows - 1) * rowStride;
                int to = xi * dstXi + r0 * blockStride, t = 0;
                for (; t + V <= tiles; t += V) {
                    if (blockRows == MR) strip8(src, o, t, dst, to + t * tileStride);
                    else block16(src, o, t, dst, to + t * tileStride, tileStride);
                }
                for (; t < tiles; t++) {
                    for (int r = 0; r < blockRows && r0 + r < rows; r++) dst[to + t * tileStride + r] = src[o[r] + t];
                }
            }
        }
    }

    /**
     * The 8 x V block src[o[r] + t ...] transposed into the V * MR contiguous words at dst[at]:
     * three rounds of interleaving vector m with vector m + 4 (each round rotates the block's
     * index bits by one, so three turn r * V + t into t * MR + r).
     */
    private static void strip8(float[] src, int[] o, int t, float[] dst, int at) {
        FloatVector v0 = load(src, o[0] + t), v1 = load(src, o[1] + t), v2 = load(src, o[2] + t), v3 = load(src, o[3] + t),
                v4 = load(src, o[4] + t), v5 = load(src, o[5] + t), v6 = load(src, o[6] + t), v7 = load(src, o[7] + t);
        for (int round = 0; round < 3; round++) {
            FloatVector n0 = lo(v0, v4), n1 = hi(v0, v4), n2 = lo(v1, v5), n3 = hi(v1, v5),
                    n4 = lo(v2, v6), n5 = hi(v2, v6), n6 = lo(v3, v7), n7 = hi(v3, v7);
            v0 = n0; v1 = n1; v2 = n2; v3 = n3; v4 = n4; v5 = n5; v6 = n6; v7 = n7;
        }
        v0.intoArray(dst, at); v1.intoArray(dst, at + V); v2.intoArray(dst, at + 2 * V); v3.intoArray(dst, at + 3 * V);
        v4.intoArray(dst, at + 4 * V); v5.intoArray(dst, at + 5 * V); v6.intoArray(dst, at + 6 * V); v7.intoArray(dst, at + 7 * V);
    }

    /** The V x V block src[o[r] + t ...] transposed, its row t to dst[at + t * dstRow]: four rounds as in {@link #strip8}. */
    private static void block16(float[] src, int[] o, int t, float[] dst, int at, int dstRow) {
        FloatVector v0 = load(src, o[0] + t), v1 = load(src, o[1] + t), v2 = load(src, o[2] + t), v3 = load(src, o[3] + t),
                v4 = load(src, o[4] + t), v5 = load(src, o[5] + t), v6 = load(src, o[6] + t), v7 = load(src, o[7] + t),
                v8 = load(src, o[8] + t), v9 = load(src, o[9] + t), v10 = load(src, o[10] + t), v11 = load(src, o[11] + t),
                v12 = load(src, o[12] + t), v13 = load(src, o[13] + t), v14 = load(src, o[14] + t), v15 = load(src, o[15] + t);
        for (int round = 0; round < 4; round++) {
            FloatVector n0 = lo(v0, v8), n1 = hi(v0, v8), n2 = lo(v1, v9), n3 = hi(v1, v9),
                    n4 = lo(v2, v10), n5 = hi(v2, v10), n6 = lo(v3, v11), n7 = hi(v3, v11),
                    n8 = lo(v4, v12), n9 = hi(v4, v12), n10 = lo(v5, v13), n11 = hi(v5, v13),
                    n12 = lo(v6, v14), n13 = hi(v6, v14), n14 = lo(v7, v15), n15 = hi(v7, v15);
            v0 = n0; v1 = n1; v2 = n2; v3 = n3; v4 = n4; v5 = n5; v6 = n6; v7 = n7;
            v8 = n8; v9 = n9; v10 = n10; v11 = n11; v12 = n12; v13 = n13; v14 = n14; v15 = n15;
        }
        v0.intoArray(dst, at); v1.intoArray(dst, at + dstRow); v2.intoArray(dst, at + 2 * dstRow);
        v3.intoArray(dst, at + 3 * dstRow); v4.intoArray(dst, at + 4 * dstRow); v5.intoArray(dst, at + 5 * dstRow);
        v6.intoArray(dst, at + 6 * dstRow); v7.intoArray(dst, at + 7 * dstRow); v8.intoArray(dst, at + 8 * dstRow);
        v9.intoArray(dst, at + 9 * dstRow); v10.intoArray(dst, at + 10 * dstRow); v11.intoArray(dst, at + 11 * dstRow);
        v12.intoArray(dst, at + 12 * dstRow); v13.intoArray(dst, at + 13 * dstRow);
        v14.intoArray(dst, at + 14 * dstRow); v15.intoArray(dst, at + 15 * dstRow);
    }

    /** starts[i] = i * stride for {@code count} entries: the rows of a B operand. */
    private int[] rowStarts(int count, int stride) {
        if (rowStarts.length < count) rowStarts = new int[count];
        for (int i = 0; i < count; i++) rowStarts[i] = i * stride;
        // Reused by every call: the workers of one call finish before the next call starts.
        return rowStarts;
    }

    /**
     * U = G g G^T for every (filter, channel) pair into {@link #packed}: rows are the filters
     * and the depth the channels (forward), or the other way round (backward data); zero rows
     * pad the last strip. V consecutive filters at a time: their C x 9 weights are one copy
     * into a scratch, each tap of a channel a gather over the V filters, the transform runs
     * on vectors, and each position's V values are one scatter into the packed layout.
     */
    private void packFilter(MemorySegment w, int k, int c, boolean transposed) {
        int m = transposed ? c : k, depth = transposed ? k : c, strips = CpuGemm.ceilDiv(m, MR);
        int xiStride = strips * MR * depth, words = XI * xiStride, rowWords = 9 * c;
        // The scatter range-checks its masked-off lanes too: those past the last strip (forward)
        // or the last filter (backward data) land in this slack, never written.
        int slack = MR * Math.max(depth, V);
        if (packed.length < words + slack) packed = new float[words + slack];
        float[] pa = packed;
        // Where lane f (filter k0 + f) of a channel's tap is read, and where its position is written.
        int[] reads = new int[V], writes = new int[V];
        for (int f = 0; f < V; f++) {
            reads[f] = f * rowWords;
            writes[f] = transposed ? f * MR : (f / MR) * MR * depth + f % MR;
        }
        // Rows past m in the last strip are written as zeros: forward, lanes past k (the
        // gather leaves them zero); backward data, the channels past c.
        int rowsWritten = strips * MR, channels = transposed ? rowsWritten : c;
        parallel.forRange(CpuGemm.ceilDiv(k, V), (worker, f0, f1) -> {
            Scratch sc = scratch[worker];
            float[] t = sc.t16, rows = sc.filters(V * rowWords);
            for (int fb = f0; fb < f1; fb++) {
                int k0 = fb * V, count = Math.min(V, k - k0);
                MemorySegment.copy(w, F, (long) k0 * rowWords * Float.BYTES, rows, 0, count * rowWords);
                // Both masks from lane counts (ints): a mask chosen by a branch is a vector phi,
                // which C2 boxed (an object per filter block and channel, "unbox failed").
                int storedLanes = transposed ? count : Math.clamp(rowsWritten - k0, 0, V);
                VectorMask<Float> live = VectorMask.fromLong(SPECIES, lanesBelow(count)),
                        stored = VectorMask.fromLong(SPECIES, lanesBelow(storedLanes));
                for (int cc = 0; cc < channels; cc++) {
                    if (cc < c) {
                        for (int r = 0; r < 3; r++) {
                            for (int s = 0; s < 3; s++) {
                                FloatVector.fromArray(SPECIES, rows, cc * 9 + r * 3 + s, reads, 0, live).intoArray(t, (r * 4 + s) * V);
                            }
                        }
                        for (int col = 0; col < 3; col++) gT(t, col, 4);
                        for (int row = 0; row < 4; row++) gT(t, 4 * row, 1);
                    } else {
                        Arrays.fill(t, 0f);
                    }
                    int at = transposed ? (cc / MR) * MR * depth + k0 * MR + cc % MR : (k0 / MR) * MR * depth + cc * MR;
                    for (int xi = 0; xi < XI; xi++) load(t, xi * V).intoArray(pa, xi * xiStride + at, writes, 0, stored);
                }
            }
        });
    }

    /** The mask bits of lanes 0 .. n-1 (n in [0, V]). */
    private static long lanesBelow(int n) {
        return n >= Long.SIZE ? -1L : (1L << n) - 1;
    }

    // ------------------------------------------------------------------ tile transforms

    // The padded planes keep each row's even columns, then its odd ones (each half rounded
    // up to whole vectors): the four columns of tile tj are even[tj], odd[tj], even[tj + 1]
    // and odd[tj + 1], so the transforms run V tiles of a tile row at a time. Lanes past a
    // row's last tile write into the next tile row (written after them) or the row's slack
    // (see rowStride); only the sums into the padded planes mask them off.

    /** xp = the sample's planes at (padH, padW), zero around and past them, rows split into even and odd columns. */
    private static void pad(MemorySegment src, long srcOff, int channels, Tiling tl, float[] line, float[] xp) {
        int hp = tl.hp(), rw = tl.rowWords(), half = tl.half(), h = tl.h(), w = tl.w();
        zero(xp, channels, tl);
        for (int ch = 0; ch < channels; ch++) {
            for (int row = 0; row < h; row++) {
                MemorySegment.copy(src, F, (srcOff + ((long) ch * h + row) * w) * Float.BYTES, line, 0, w);
                int to = (ch * hp + row + tl.padH()) * rw;
                split(line, 0, w, tl.padW(), xp, to, to + half);
            }
        }
    }

    /** dx[ch][row][col] = xp's element at padded (row + padH, col + padW): the padding cropped off. */
    private static void crop(float[] xp, int channels, Tiling tl, float[] line, MemorySegment dst, long dstOff) {
        int hp = tl.hp(), rw = tl.rowWords(), half = tl.half(), h = tl.h(), w = tl.w();
        for (int ch = 0; ch < channels; ch++) {
            for (int row = 0; row < h; row++) {
                int from = (ch * hp + row + tl.padH()) * rw;
                merge(xp, from, from + half, tl.padW(), w, line, 0);
                MemorySegment.copy(line, 0, dst, F, (dstOff + ((long) ch * h + row) * w) * Float.BYTES, w);
            }
        }
    }

    /** Zeroes the tilesW + 1 columns of each half row that the tiles read (or, backward, sum into). */
    private static void zero(float[] xp, int channels, Tiling tl) {
        int rw = tl.rowWords(), half = tl.half(), used = tl.tilesW() + 1;
        for (int row = 0, at = 0; row < channels * tl.hp(); row++, at += rw) {
            Arrays.fill(xp, at, at + used, 0f);
            Arrays.fill(xp, at + half, at + half + used, 0f);
        }
    }

    /**
     * src[from + i] to padded column first + i of a split row: dst[even + pc / 2] for even
     * pc, dst[odd + pc / 2] for odd. Whole pairs of vectors go through two two-vector
     * permutes; the rest one by one.
     */
    private static void split(float[] src, int from, int n, int first, float[] dst, int even, int odd) {
        int lead = (first & 1) == 0 ? even : odd, next = (first & 1) == 0 ? odd : even, i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            FloatVector v0 = load(src, from + i), v1 = load(src, from + i + V);
            EVEN_LANES.selectFrom(v0, v1).intoArray(dst, lead + ((first + i) >> 1));
            ODD_LANES.selectFrom(v0, v1).intoArray(dst, next + ((first + i + 1) >> 1));
        }
        for (; i < n; i++) dst[(((first + i) & 1) == 0 ? even : odd) + ((first + i) >> 1)] = src[from + i];
    }

    /** The inverse of {@link #split}: dst[to + i] = padded column first + i of the split row. */
    private static void merge(float[] src, int even, int odd, int first, int n, float[] dst, int to) {
        int lead = (first & 1) == 0 ? even : odd, next = (first & 1) == 0 ? odd : even, i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            FloatVector a = load(src, lead + ((first + i) >> 1)), b = load(src, next + ((first + i + 1) >> 1));
            LOW_INTERLEAVED.selectFrom(a, b).intoArray(dst, to + i);
            HIGH_INTERLEAVED.selectFrom(a, b).intoArray(dst, to + i + V);
        }
        for (; i < n; i++) dst[to + i] = src[(((first + i) & 1) == 0 ? even : odd) + ((first + i) >> 1)];
    }

    /** Permute indices into a pair of vectors (0..V-1 the first, V..2V-1 the second). */
    private static FloatVector lanes(java.util.function.IntUnaryOperator index) {
        float[] at = new float[V];
        for (int l = 0; l < V; l++) at[l] = index.applyAsInt(l);
        return FloatVector.fromArray(SPECIES, at, 0);
    }

    private static final FloatVector EVEN_LANES = lanes(l -> 2 * l), ODD_LANES = lanes(l -> 2 * l + 1),
            LOW_INTERLEAVED = lanes(l -> (l & 1) * V + l / 2), HIGH_INTERLEAVED = lanes(l -> (l & 1) * V + V / 2 + l / 2);

    /** V of {@code count} samples from {@code first}: gathered on narrow maps, else sample by sample through the split planes. */
    private static void transformInputs(Gather inputs, MemorySegment x, int first, int count, long xs, int c, Tiling tl, Scratch sc,
                                        float[] out, int xiStride, int rowStride) {
        if (inputs != null) {
            inputs.transformInput(x, first * xs, count, c, sc, out, xiStride, rowStride);
            return;
        }
        float[] xp = sc.plane(tl.planeWords(c)), line = sc.line(tl.lineWords());
        for (int j = 0; j < count; j++) {
            pad(x, (first + j) * xs, c, tl, line, xp);
            inputTransform(xp, c, tl, out, xiStride, rowStride, j * tl.perSample());
        }
    }

    /** dM of {@code count} samples from {@code first}, as {@link #transformInputs}. */
    private static void transformGradients(Gather blocks, MemorySegment dy, int first, int count, long ys, int k, Tiling tl, Scratch sc,
                                           float[] out, int xiStride, int rowStride) {
        if (blocks != null) {
            blocks.transformGradient(dy, first * ys, count, k, sc, out, xiStride, rowStride);
            return;
        }
        float[] line = sc.line(tl.lineWords());
        for (int j = 0; j < count; j++) gradientTransform(dy, (first + j) * ys, k, tl, line, out, xiStride, rowStride, j * tl.perSample());
    }

    /**
     * For maps of at most {@link #NARROW_ROW} tiles per tile row: where each tile of a group
     * of consecutive samples reads its {@code size} x {@code size} inputs (the 4x4 input
     * tile, or the 2x2 block of outputs) in a copy of the group's planes, so that V tiles of
     * the group (across tile rows and samples) are one gather per input, with lanes outside
     * the planes (padding, or outputs past outH or outW) masked to zero. The arithmetic per
     * tile is {@link #inputTransform}'s and {@link #gradientTransform}'s, operation for
     * operation, so the bits are the same as theirs.
     *
     * @param samples the samples of a group
     * @param tilesPerSample tiles of one sample
     * @param at    [input][tile]: offset of the input from the group's first word, tiles
     *              rounded up to whole vectors (the extra ones read offset 0, masked off)
     * @param live  [input][vector of tiles]: which lanes are inside the planes
     * @param planeWords words per channel plane, added per channel
     * @param sampleWords words per sample: all its planes
     */
    private record Gather(int samples, int tilesPerSample, int[] at, long[] live, int planeWords, long sampleWords, int padded) {
        /** The input tiles of {@code group} samples, or null where the tile rows are wide enough for {@link #inputTransform}. */
        static Gather inputTiles(ConvGeometry g, Tiling tl, int group) {
            return tl.tilesW() > NARROW_ROW ? null : of(tl, group, 4, tl.padH(), tl.padW(), tl.h(), tl.w(), g.c());
        }

        /** The 2x2 output (or output-gradient) blocks of {@code group} samples, or null as for {@link #inputTiles}. */
        static Gather outputBlocks(ConvGeometry g, Tiling tl, int group) {
            return tl.tilesW() > NARROW_ROW ? null : of(tl, group, 2, 0, 0, tl.outH(), tl.outW(), g.k());
        }

        private static Gather of(Tiling tl, int group, int size, int padH, int padW, int h, int w, int channels) {
            int tps = tl.perSample(), tiles = group * tps, padded = CpuGemm.roundUp(tiles, V), vectors = padded / V;
            int[] at = new int[size * size * padded];
            long[] live = new long[size * size * vectors];
            for (int q = 0; q < tiles; q++) {
                int j = q / tps, t = q % tps, ti = t / tl.tilesW(), tj = t % tl.tilesW();
                for (int r = 0; r < size; r++) {
                    for (int s = 0; s < size; s++) {
                        int row = 2 * ti + r - padH, col = 2 * tj + s - padW, p = r * size + s;
                        if (row < 0 || row >= h || col < 0 || col >= w) continue;
                        at[p * padded + q] = (j * channels * h + row) * w + col;
                        live[p * vectors + q / V] |= 1L << (q % V);
                    }
                }
            }
            return new Gather(group, tps, at, live, h * w, (long) channels * h * w, padded);
        }


        /**
         * The {@code count} samples' planes into the worker's scratch, which holds a whole
         * group: the gathers range-check every lane, masked or not, and a short last group's
         * lanes past its tiles still point at the samples it lacks (what they read is never used).
         */
        private float[] copy(MemorySegment src, long srcOff, int count, Scratch sc) {
            float[] group = sc.group((int) (samples * sampleWords));
            MemorySegment.copy(src, F, srcOff * Float.BYTES, group, 0, (int) (count * sampleWords));
            return group;
        }

        /** {@link #inputTransform} of the {@code count} samples at x[xOff], V tiles at a time. */
        void transformInput(MemorySegment x, long xOff, int count, int channels, Scratch sc, float[] out, int xiStride, int rowStride) {
            float[] src = copy(x, xOff, count, sc);
            int tiles = count * tilesPerSample, step = 4 * xiStride, vectors = padded / V;
            for (int ch = 0; ch < channels; ch++) {
                int base = ch * planeWords;
                for (int q = 0; q < tiles; q += V) {
                    int vq = q / V;   // the gathers' and stores' lane masks: live[input * vectors + vq]
                    FloatVector a0 = FloatVector.fromArray(SPECIES, src, base, at, 0 * padded + q, VectorMask.fromLong(SPECIES, live[0 * vectors + vq]));
                    FloatVector b0 = FloatVector.fromArray(SPECIES, src, base, at, 1 * padded + q, VectorMask.fromLong(SPECIES, live[1 * vectors + vq]));
                    FloatVector c0 = FloatVector.fromArray(SPECIES, src, base, at, 2 * padded + q, VectorMask.fromLong(SPECIES, live[2 * vectors + vq]));
                    FloatVector d0 = FloatVector.fromArray(SPECIES, src, base, at, 3 * padded + q, VectorMask.fromLong(SPECIES, live[3 * vectors + vq]));
                    FloatVector h00 = a0.sub(c0), h01 = b0.add(c0), h02 = c0.sub(b0), h03 = b0.sub(d0);
                    FloatVector a1 = FloatVector.fromArray(SPECIES, src, base, at, 4 * padded + q, VectorMask.fromLong(SPECIES, live[4 * vectors + vq]));
                    FloatVector b1 = FloatVector.fromArray(SPECIES, src, base, at, 5 * padded + q, VectorMask.fromLong(SPECIES, live[5 * vectors + vq]));
                    FloatVector c1 = FloatVector.fromArray(SPECIES, src, base, at, 6 * padded + q, VectorMask.fromLong(SPECIES, live[6 * vectors + vq]));
                    FloatVector d1 = FloatVector.fromArray(SPECIES, src, base, at, 7 * padded + q, VectorMask.fromLong(SPECIES, live[7 * vectors + vq]));
                    FloatVector h10 = a1.sub(c1), h11 = b1.add(c1), h12 = c1.sub(b1), h13 = b1.sub(d1);
                    FloatVector a2 = FloatVector.fromArray(SPECIES, src, base, at, 8 * padded + q, VectorMask.fromLong(SPECIES, live[8 * vectors + vq]));
                    FloatVector b2 = FloatVector.fromArray(SPECIES, src, base, at, 9 * padded + q, VectorMask.fromLong(SPECIES, live[9 * vectors + vq]));
                    FloatVector c2 = FloatVector.fromArray(SPECIES, src, base, at, 10 * padded + q, VectorMask.fromLong(SPECIES, live[10 * vectors + vq]));
                    FloatVector d2 = FloatVector.fromArray(SPECIES, src, base, at, 11 * padded + q, VectorMask.fromLong(SPECIES, live[11 * vectors + vq]));
                    FloatVector h20 = a2.sub(c2), h21 = b2.add(c2), h22 = c2.sub(b2), h23 = b2.sub(d2);
                    FloatVector a3 = FloatVector.fromArray(SPECIES, src, base, at, 12 * padded + q, VectorMask.fromLong(SPECIES, live[12 * vectors + vq]));
                    FloatVector b3 = FloatVector.fromArray(SPECIES, src, base, at, 13 * padded + q, VectorMask.fromLong(SPECIES, live[13 * vectors + vq]));
                    FloatVector c3 = FloatVector.fromArray(SPECIES, src, base, at, 14 * padded + q, VectorMask.fromLong(SPECIES, live[14 * vectors + vq]));
                    FloatVector d3 = FloatVector.fromArray(SPECIES, src, base, at, 15 * padded + q, VectorMask.fromLong(SPECIES, live[15 * vectors + vq]));
                    FloatVector h30 = a3.sub(c3), h31 = b3.add(c3), h32 = c3.sub(b3), h33 = b3.sub(d3);
                    // B^T down each column, written out as in every transform here: a helper taking
                    // vectors (storeBt) was left out of line by C2, which then boxed them (heap per step).
                    int at0 = ch * rowStride + q;
                    h00.sub(h20).intoArray(out, at0);
                    h10.add(h20).intoArray(out, at0 + step);
                    h20.sub(h10).intoArray(out, at0 + 2 * step);
                    h10.sub(h30).intoArray(out, at0 + 3 * step);
                    h01.sub(h21).intoArray(out, at0 + xiStride);
                    h11.add(h21).intoArray(out, at0 + xiStride + step);
                    h21.sub(h11).intoArray(out, at0 + xiStride + 2 * step);
                    h11.sub(h31).intoArray(out, at0 + xiStride + 3 * step);
                    h02.sub(h22).intoArray(out, at0 + 2 * xiStride);
                    h12.add(h22).intoArray(out, at0 + 2 * xiStride + step);
                    h22.sub(h12).intoArray(out, at0 + 2 * xiStride + 2 * step);
                    h12.sub(h32).intoArray(out, at0 + 2 * xiStride + 3 * step);
                    h03.sub(h23).intoArray(out, at0 + 3 * xiStride);
                    h13.add(h23).intoArray(out, at0 + 3 * xiStride + step);
                    h23.sub(h13).intoArray(out, at0 + 3 * xiStride + 2 * step);
                    h13.sub(h33).intoArray(out, at0 + 3 * xiStride + 3 * step);
                }
            }
        }

        /** {@link #gradientTransform} of the {@code count} samples at dy[dyOff], V tiles at a time. */
        void transformGradient(MemorySegment dy, long dyOff, int count, int k, Scratch sc, float[] out, int xiStride, int rowStride) {
            float[] src = copy(dy, dyOff, count, sc);
            int tiles = count * tilesPerSample, vectors = padded / V;
            for (int kk = 0; kk < k; kk++) {
                int base = kk * planeWords;
                for (int q = 0; q < tiles; q += V) {
                    int vq = q / V;   // the gathers' and stores' lane masks: live[input * vectors + vq]
                    FloatVector d00 = FloatVector.fromArray(SPECIES, src, base, at, 0 * padded + q, VectorMask.fromLong(SPECIES, live[0 * vectors + vq]));
                    FloatVector d01 = FloatVector.fromArray(SPECIES, src, base, at, 1 * padded + q, VectorMask.fromLong(SPECIES, live[1 * vectors + vq]));
                    FloatVector d10 = FloatVector.fromArray(SPECIES, src, base, at, 2 * padded + q, VectorMask.fromLong(SPECIES, live[2 * vectors + vq]));
                    FloatVector d11 = FloatVector.fromArray(SPECIES, src, base, at, 3 * padded + q, VectorMask.fromLong(SPECIES, live[3 * vectors + vq]));
                    FloatVector p10 = d00.add(d10), p20 = d00.sub(d10), p30 = d10.neg();
                    FloatVector p11 = d01.add(d11), p21 = d01.sub(d11), p31 = d11.neg();
                    // A of each row, written out (a helper taking vectors was boxed by C2).
                    int at0 = kk * rowStride + q;
                    d00.intoArray(out, at0);
                    d00.add(d01).intoArray(out, at0 + xiStride);
                    d00.sub(d01).intoArray(out, at0 + 2 * xiStride);
                    d01.neg().intoArray(out, at0 + 3 * xiStride);
                    p10.intoArray(out, at0 + 4 * xiStride);
                    p10.add(p11).intoArray(out, at0 + 4 * xiStride + xiStride);
                    p10.sub(p11).intoArray(out, at0 + 4 * xiStride + 2 * xiStride);
                    p11.neg().intoArray(out, at0 + 4 * xiStride + 3 * xiStride);
                    p20.intoArray(out, at0 + 8 * xiStride);
                    p20.add(p21).intoArray(out, at0 + 8 * xiStride + xiStride);
                    p20.sub(p21).intoArray(out, at0 + 8 * xiStride + 2 * xiStride);
                    p21.neg().intoArray(out, at0 + 8 * xiStride + 3 * xiStride);
                    p30.intoArray(out, at0 + 12 * xiStride);
                    p30.add(p31).intoArray(out, at0 + 12 * xiStride + xiStride);
                    p30.sub(p31).intoArray(out, at0 + 12 * xiStride + 2 * xiStride);
                    p31.neg().intoArray(out, at0 + 12 * xiStride + 3 * xiStride);
                }
            }
        }

        /** {@link #outputTransform} of the {@code count} samples' M, V tiles at a time, into y[yOff]. */
        void transformOutput(float[] mm, int xiStride, int rowStride, int k, int count, Scratch sc, MemorySegment y, long yOff) {
            float[] dst = sc.group((int) (samples * sampleWords));
            int tiles = count * tilesPerSample, x4 = 4 * xiStride, vectors = padded / V;
            for (int kk = 0; kk < k; kk++) {
                int base = kk * planeWords;
                for (int q = 0; q < tiles; q += V) {
                    int vq = q / V;   // the gathers' and stores' lane masks: live[input * vectors + vq]
                    int at0 = kk * rowStride + q;
                    FloatVector q00 = top(mm, at0, x4), q01 = top(mm, at0 + xiStride, x4), q02 = top(mm, at0 + 2 * xiStride, x4),
                            q03 = top(mm, at0 + 3 * xiStride, x4);
                    FloatVector q10 = bottom(mm, at0, x4), q11 = bottom(mm, at0 + xiStride, x4),
                            q12 = bottom(mm, at0 + 2 * xiStride, x4), q13 = bottom(mm, at0 + 3 * xiStride, x4);
                    q00.add(q01).add(q02).intoArray(dst, base, at, 0 * padded + q, VectorMask.fromLong(SPECIES, live[0 * vectors + vq]));
                    q01.sub(q02).sub(q03).intoArray(dst, base, at, 1 * padded + q, VectorMask.fromLong(SPECIES, live[1 * vectors + vq]));
                    q10.add(q11).add(q12).intoArray(dst, base, at, 2 * padded + q, VectorMask.fromLong(SPECIES, live[2 * vectors + vq]));
                    q11.sub(q12).sub(q13).intoArray(dst, base, at, 3 * padded + q, VectorMask.fromLong(SPECIES, live[3 * vectors + vq]));
                }
            }
            MemorySegment.copy(dst, 0, y, F, yOff * Float.BYTES, (int) (count * sampleWords));
        }

    }

    /**
     * out[xi * xiStride + ch * rowStride + t0 + t] = (B^T d B)[xi] for every channel and
     * every tile t of the padded planes xp: B^T along each row, then down each column.
     */
    private static void inputTransform(float[] xp, int channels, Tiling tl, float[] out, int xiStride, int rowStride, int t0) {
        int hp = tl.hp(), rw = tl.rowWords(), half = tl.half(), tw = tl.tilesW(), step = 4 * xiStride;
        for (int ch = 0; ch < channels; ch++) {
            for (int ti = 0; ti < tl.tilesH(); ti++) {
                int e0 = (ch * hp + 2 * ti) * rw, e1 = e0 + rw, e2 = e1 + rw, e3 = e2 + rw;
                int at0 = ch * rowStride + t0 + ti * tw;
                for (int j = 0; j < tw; j += V) {
                    FloatVector a0 = load(xp, e0 + j), b0 = load(xp, e0 + half + j), c0 = load(xp, e0 + j + 1),
                            d0 = load(xp, e0 + half + j + 1);
                    FloatVector h00 = a0.sub(c0), h01 = b0.add(c0), h02 = c0.sub(b0), h03 = b0.sub(d0);
                    FloatVector a1 = load(xp, e1 + j), b1 = load(xp, e1 + half + j), c1 = load(xp, e1 + j + 1),
                            d1 = load(xp, e1 + half + j + 1);
                    FloatVector h10 = a1.sub(c1), h11 = b1.add(c1), h12 = c1.sub(b1), h13 = b1.sub(d1);
                    FloatVector a2 = load(xp, e2 + j), b2 = load(xp, e2 + half + j), c2 = load(xp, e2 + j + 1),
                            d2 = load(xp, e2 + half + j + 1);
                    FloatVector h20 = a2.sub(c2), h21 = b2.add(c2), h22 = c2.sub(b2), h23 = b2.sub(d2);
                    FloatVector a3 = load(xp, e3 + j), b3 = load(xp, e3 + half + j), c3 = load(xp, e3 + j + 1),
                            d3 = load(xp, e3 + half + j + 1);
                    FloatVector h30 = a3.sub(c3), h31 = b3.add(c3), h32 = c3.sub(b3), h33 = b3.sub(d3);
                    // B^T down each column, written out as in every transform here: a helper taking
                    // vectors (storeBt) was left out of line by C2, which then boxed them (heap per step).
                    int at = at0 + j;
                    h00.sub(h20).intoArray(out, at);
                    h10.add(h20).intoArray(out, at + step);
                    h20.sub(h10).intoArray(out, at + 2 * step);
                    h10.sub(h30).intoArray(out, at + 3 * step);
                    h01.sub(h21).intoArray(out, at + xiStride);
                    h11.add(h21).intoArray(out, at + xiStride + step);
                    h21.sub(h11).intoArray(out, at + xiStride + 2 * step);
                    h11.sub(h31).intoArray(out, at + xiStride + 3 * step);
                    h02.sub(h22).intoArray(out, at + 2 * xiStride);
                    h12.add(h22).intoArray(out, at + 2 * xiStride + step);
                    h22.sub(h12).intoArray(out, at + 2 * xiStride + 2 * step);
                    h12.sub(h32).intoArray(out, at + 2 * xiStride + 3 * step);
                    h03.sub(h23).intoArray(out, at + 3 * xiStride);
                    h13.add(h23).intoArray(out, at + 3 * xiStride + step);
                    h23.sub(h13).intoArray(out, at + 3 * xiStride + 2 * step);
                    h13.sub(h33).intoArray(out, at + 3 * xiStride + 3 * step);
                }
            }
        }
    }


    /**
     * y[kk] = A^T M A of every tile of M[xi * xiStride + kk * rowStride + t0 + t], the
     * outputs past outH or outW dropped: A^T down each column, then along each row.
     */
    private static void outputTransform(float[] mm, int xiStride, int rowStride, int k, Tiling tl, int t0, float[] line,
                                        MemorySegment y, long yOff) {
        int oh = tl.outH(), ow = tl.outW(), tw = tl.tilesW(), half = tl.half();
        for (int kk = 0; kk < k; kk++) {
            long plane = yOff + (long) kk * oh * ow;
            for (int ti = 0; ti < tl.tilesH(); ti++) {
                int at0 = kk * rowStride + t0 + ti * tw;
                for (int j = 0; j < tw; j += V) {
                    int at = at0 + j;
                    int x4 = 4 * xiStride;
                    FloatVector q00 = top(mm, at, x4), q01 = top(mm, at + xiStride, x4), q02 = top(mm, at + 2 * xiStride, x4),
                            q03 = top(mm, at + 3 * xiStride, x4);
                    FloatVector q10 = bottom(mm, at, x4), q11 = bottom(mm, at + xiStride, x4),
                            q12 = bottom(mm, at + 2 * xiStride, x4), q13 = bottom(mm, at + 3 * xiStride, x4);
                    q00.add(q01).add(q02).intoArray(line, j);
                    q01.sub(q02).sub(q03).intoArray(line, half + j);
                    q10.add(q11).add(q12).intoArray(line, 2 * half + j);
                    q11.sub(q12).sub(q13).intoArray(line, 3 * half + j);
                }
                for (int r = 0; r < 2 && 2 * ti + r < oh; r++) {
                    int from = 2 * r * half, to = 4 * half;
                    merge(line, from, from + half, 0, ow, line, to);
                    MemorySegment.copy(line, to, y, F, (plane + (long) (2 * ti + r) * ow) * Float.BYTES, ow);
                }
            }
        }
    }

    /** Row 0 of A^T down a column of M: m0 + m1 + m2, the m's {@code step} apart. */
    private static FloatVector top(float[] mm, int at, int step) {
        return load(mm, at).add(load(mm, at + step)).add(load(mm, at + 2 * step));
    }

    /** Row 1 of A^T down a column of M: m1 - m2 - m3. */
    private static FloatVector bottom(float[] mm, int at, int step) {
        return load(mm, at + step).sub(load(mm, at + 2 * step)).sub(load(mm, at + 3 * step));
    }

    /**
     * out[xi * xiStride + kk * rowStride + t0 + t] = (A dy A^T)[xi] of every output tile,
     * taking the outputs past outH or outW as zero: A down each column, then along each row.
     */
    private static void gradientTransform(MemorySegment dy, long dyOff, int k, Tiling tl, float[] line, float[] out,
                                          int xiStride, int rowStride, int t0) {
        int oh = tl.outH(), ow = tl.outW(), tw = tl.tilesW(), half = tl.half();
        for (int kk = 0; kk < k; kk++) {
            long plane = dyOff + (long) kk * oh * ow;
            for (int ti = 0; ti < tl.tilesH(); ti++) {
                Arrays.fill(line, 0, 4 * half, 0f);
                for (int r = 0; r < 2 && 2 * ti + r < oh; r++) {
                    MemorySegment.copy(dy, F, (plane + (long) (2 * ti + r) * ow) * Float.BYTES, line, 4 * half, ow);
                    split(line, 4 * half, ow, 0, line, 2 * r * half, 2 * r * half + half);
                }
                int at0 = kk * rowStride + t0 + ti * tw;
                for (int j = 0; j < tw; j += V) {
                    FloatVector d00 = load(line, j), d01 = load(line, half + j), d10 = load(line, 2 * half + j),
                            d11 = load(line, 3 * half + j);
                    FloatVector p10 = d00.add(d10), p20 = d00.sub(d10), p30 = d10.neg();
                    FloatVector p11 = d01.add(d11), p21 = d01.sub(d11), p31 = d11.neg();
                    // A of each row, written out (a helper taking vectors was boxed by C2).
                    int at = at0 + j, step = xiStride;
                    d00.intoArray(out, at);
                    d00.add(d01).intoArray(out, at + step);
                    d00.sub(d01).intoArray(out, at + 2 * step);
                    d01.neg().intoArray(out, at + 3 * step);
                    p10.intoArray(out, at + 4 * step);
                    p10.add(p11).intoArray(out, at + 4 * step + step);
                    p10.sub(p11).intoArray(out, at + 4 * step + 2 * step);
                    p11.neg().intoArray(out, at + 4 * step + 3 * step);
                    p20.intoArray(out, at + 8 * step);
                    p20.add(p21).intoArray(out, at + 8 * step + step);
                    p20.sub(p21).intoArray(out, at + 8 * step + 2 * step);
                    p21.neg().intoArray(out, at + 8 * step + 3 * step);
                    p30.intoArray(out, at + 12 * step);
                    p30.add(p31).intoArray(out, at + 12 * step + step);
                    p30.sub(p31).intoArray(out, at + 12 * step + 2 * step);
                    p31.neg().intoArray(out, at + 12 * step + 3 * step);
                }
            }
        }
    }


    /**
     * xp = the sum over tiles, a tile row at a time, of B dV B^T placed at each tile's input
     * position: the gradient of the padded planes. B down each column, then along each row.
     */
    private static void dataTransform(float[] dv, int xiStride, int rowStride, int channels, Tiling tl, int t0, float[] xp) {
        int hp = tl.hp(), rw = tl.rowWords(), half = tl.half(), tw = tl.tilesW();
        zero(xp, channels, tl);
        for (int ch = 0; ch < channels; ch++) {
            for (int ti = 0; ti < tl.tilesH(); ti++) {
                int e0 = (ch * hp + 2 * ti) * rw;
                int at0 = ch * rowStride + t0 + ti * tw;
                for (int j = 0; j < tw; j += V) {
                    // Row by row with no helper taking or returning a vector: with helpers
                    // (b1, b2, addB) C2 left some calls out of line and boxed the vectors
                    // they passed (about 1.5 GB of heap per VGG-16 step from this loop alone).
                    // Rows of B down the columns of dV (x0; x1 - x2 + x3; x1 + x2 - x0; -x3),
                    // then B along each row added to the tile's four padded columns, in the
                    // order and with the operations of before: the same bits.
                    VectorMask<Float> m = SPECIES.indexInRange(j, tw);
                    int at = at0 + j, x4 = 4 * xiStride;
                    { // row 0 of B: x0 down each column, then B along the row into the planes
                        int even = e0 + j, odd = even + half;
                        FloatVector x0 = FloatVector.fromArray(SPECIES, dv, at);
                        FloatVector x1 = FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride);
                        FloatVector x2 = FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride);
                        FloatVector x3 = FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride);
                        FloatVector.fromArray(SPECIES, xp, even).add(x0).intoArray(xp, even, m);
                        FloatVector.fromArray(SPECIES, xp, odd).add(x1.sub(x2).add(x3)).intoArray(xp, odd, m);
                        FloatVector.fromArray(SPECIES, xp, even + 1).add(x1.add(x2).sub(x0)).intoArray(xp, even + 1, m);
                        FloatVector.fromArray(SPECIES, xp, odd + 1).add(x3.neg()).intoArray(xp, odd + 1, m);
                    }
                    { // row 1: x1 - x2 + x3 down each column, then B along the row into the planes
                        int even = e0 + 1 * rw + j, odd = even + half;
                        FloatVector x0 = FloatVector.fromArray(SPECIES, dv, at + 1 * x4).sub(FloatVector.fromArray(SPECIES, dv, at + 2 * x4)).add(FloatVector.fromArray(SPECIES, dv, at + 3 * x4));
                        FloatVector x1 = FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 1 * x4).sub(FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 2 * x4)).add(FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 3 * x4));
                        FloatVector x2 = FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 1 * x4).sub(FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 2 * x4)).add(FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 3 * x4));
                        FloatVector x3 = FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 1 * x4).sub(FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 2 * x4)).add(FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 3 * x4));
                        FloatVector.fromArray(SPECIES, xp, even).add(x0).intoArray(xp, even, m);
                        FloatVector.fromArray(SPECIES, xp, odd).add(x1.sub(x2).add(x3)).intoArray(xp, odd, m);
                        FloatVector.fromArray(SPECIES, xp, even + 1).add(x1.add(x2).sub(x0)).intoArray(xp, even + 1, m);
                        FloatVector.fromArray(SPECIES, xp, odd + 1).add(x3.neg()).intoArray(xp, odd + 1, m);
                    }
                    { // row 2: x1 + x2 - x0 down each column, then B along the row into the planes
                        int even = e0 + 2 * rw + j, odd = even + half;
                        FloatVector x0 = FloatVector.fromArray(SPECIES, dv, at + 1 * x4).add(FloatVector.fromArray(SPECIES, dv, at + 2 * x4)).sub(FloatVector.fromArray(SPECIES, dv, at));
                        FloatVector x1 = FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 1 * x4).add(FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 2 * x4)).sub(FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride));
                        FloatVector x2 = FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 1 * x4).add(FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 2 * x4)).sub(FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride));
                        FloatVector x3 = FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 1 * x4).add(FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 2 * x4)).sub(FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride));
                        FloatVector.fromArray(SPECIES, xp, even).add(x0).intoArray(xp, even, m);
                        FloatVector.fromArray(SPECIES, xp, odd).add(x1.sub(x2).add(x3)).intoArray(xp, odd, m);
                        FloatVector.fromArray(SPECIES, xp, even + 1).add(x1.add(x2).sub(x0)).intoArray(xp, even + 1, m);
                        FloatVector.fromArray(SPECIES, xp, odd + 1).add(x3.neg()).intoArray(xp, odd + 1, m);
                    }
                    { // row 3: -x3 down each column, then B along the row into the planes
                        int even = e0 + 3 * rw + j, odd = even + half;
                        FloatVector x0 = FloatVector.fromArray(SPECIES, dv, at + 3 * x4).neg();
                        FloatVector x1 = FloatVector.fromArray(SPECIES, dv, at + 1 * xiStride + 3 * x4).neg();
                        FloatVector x2 = FloatVector.fromArray(SPECIES, dv, at + 2 * xiStride + 3 * x4).neg();
                        FloatVector x3 = FloatVector.fromArray(SPECIES, dv, at + 3 * xiStride + 3 * x4).neg();
                        FloatVector.fromArray(SPECIES, xp, even).add(x0).intoArray(xp, even, m);
                        FloatVector.fromArray(SPECIES, xp, odd).add(x1.sub(x2).add(x3)).intoArray(xp, odd, m);
                        FloatVector.fromArray(SPECIES, xp, even + 1).add(x1.add(x2).sub(x0)).intoArray(xp, even + 1, m);
                        FloatVector.fromArray(SPECIES, xp, odd + 1).add(x3.neg()).intoArray(xp, odd + 1, m);
                    }
                }
            }
        }
    }

    /** Lanes 0..V/2-1 of a and b interleaved: a0 b0 a1 b1 ... */
    private static FloatVector lo(FloatVector a, FloatVector b) {
        return LOW_INTERLEAVED.selectFrom(a, b);
    }

    /** Lanes V/2..V-1 of a and b interleaved. */
    private static FloatVector hi(FloatVector a, FloatVector b) {
        return HIGH_INTERLEAVED.selectFrom(a, b);
    }

    private static FloatVector load(float[] a, int at) {
        return FloatVector.fromArray(SPECIES, a, at);
    }

    /**
     * G x of three values: (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2), on the vectors
     * t[(o + i * step) * V ...] (V filters at once).
     */
    private static void gT(float[] t, int o, int step) {
        FloatVector x0 = load(t, o * V), x1 = load(t, (o + step) * V), x2 = load(t, (o + 2 * step) * V);
        x0.add(x1).add(x2).mul(0.5f).intoArray(t, (o + step) * V);
        x0.sub(x1).add(x2).mul(0.5f).intoArray(t, (o + 2 * step) * V);
        x2.intoArray(t, (o + 3 * step) * V);
    }

    /**
     * G^T x, the adjoint of {@link #gT}, four values to three: (x0 + (x1 + x2) / 2, (x1 - x2) / 2,
     * (x1 + x2) / 2 + x3), on vectors as {@link #gT}.
     */
    private static void gt(float[] t, int o, int step) {
        FloatVector x0 = load(t, o * V), x1 = load(t, (o + step) * V), x2 = load(t, (o + 2 * step) * V),
                x3 = load(t, (o + 3 * step) * V);
        FloatVector half = x1.add(x2).mul(0.5f);
        x0.add(half).intoArray(t, o * V);
        x1.sub(x2).mul(0.5f).intoArray(t, (o + step) * V);
        half.add(x3).intoArray(t, (o + 2 * step) * V);
    }
}
