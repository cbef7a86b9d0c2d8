package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.backend.GroupOps.Norm;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static io.sparsestep.backend.cuda.ConformanceChecks.alignmentCombinations;

/**
 * Conformance of {@link GroupOps} (kernels/group.cu vs backend.cpu.CpuGroupOps), all
 * bitwise, the per-group sums of squares included (doubles: the CPU twin replays the
 * kernels' reduction order, and values spanning 2^-31..2 make any other order show in the
 * last bits). Geometries reach every path of the kernels: one element per group (gRDA's
 * threshold), sequential small groups (contiguous and strided), block groups with float4,
 * block groups read scalar (a size not a multiple of 4, or a pointer off 16 bytes), strided
 * channels, more than 1024 elements per group, and more small groups than one wave of
 * threads on GPUs of up to 16 SMs (so the threads stride over groups). The step runs every
 * alignment combination of w, g and acc where the float4 choice depends on it, with a
 * group whose accumulator is zero (+0.0 out) and one holding NaN (NaN out, never pruned),
 * twice in a row, with and without its optional outputs. Found by
 * {@link ConformanceChecks#all()} through {@code Backend.groups()}.
 */
final class GroupOpsChecks {
    static final String PATH_ONE = "one element per group (gRDA's soft threshold)";
    static final String PATH_SEQUENTIAL = "sequential (m <= 32)";
    static final String PATH_FLOAT4 = "block, float4";
    static final String PATH_SCALAR = "block, scalar (m % 4 != 0 or a pointer off 16 bytes)";
    static final String PATH_STRIDED = "block, strided channels";
    static final List<String> PATHS = List.of(PATH_ONE, PATH_SEQUENTIAL, PATH_FLOAT4, PATH_SCALAR, PATH_STRIDED);

    private static final List<GroupGeometry> GEOMETRIES = List.of(
            new GroupGeometry(9, 1, 1, Grouping.FILTERS),
            new GroupGeometry(6, 3, 9, Grouping.FILTERS),
            new GroupGeometry(5, 4, 3, Grouping.CHANNELS),
            new GroupGeometry(4, 6, 9, Grouping.KERNELS),
            new GroupGeometry(7, 20, 25, Grouping.FILTERS),
            new GroupGeometry(3, 7, 9, Grouping.FILTERS),
            new GroupGeometry(6, 5, 9, Grouping.CHANNELS),
            new GroupGeometry(40, 3, 1, Grouping.CHANNELS),
            new GroupGeometry(3, 1100, 1, Grouping.FILTERS),
            new GroupGeometry(70_001, 1, 1, Grouping.FILTERS));

    private GroupOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("groups.sdprun", GroupOpsChecks::sdprun), new Check("groups.norms", GroupOpsChecks::norms),
                new Check("groups.applyMask", GroupOpsChecks::applyMask));
    }

    /** The kernel path a launch takes, as kernels/group.cu decides it. */
    private static String path(GroupGeometry geo, int... wordOffsets) {
        int m = geo.groupSize();
        if (m == 1) return PATH_ONE;
        if (m <= GroupOps.SEQUENTIAL_MAX) return PATH_SEQUENTIAL;
        if (!geo.contiguous()) return PATH_STRIDED;
        boolean aligned = true;
        for (int o : wordOffsets) aligned &= o % 4 == 0;
        return m % 4 == 0 && aligned ? PATH_FLOAT4 : PATH_SCALAR;
    }

    /** Pointer offsets to try: all 64 where the float4 choice depends on them, a few elsewhere; one for the large case. */
    private static List<int[]> offsets(GroupGeometry geo, int pointers) {
        if (geo.size() > 10_000) return List.of(new int[pointers]);
        boolean float4Matters = geo.groupSize() > GroupOps.SEQUENTIAL_MAX && geo.contiguous() && geo.groupSize() % 4 == 0;
        if (float4Matters) return alignmentCombinations(pointers);
        return pointers == 3 ? List.of(new int[] {0, 0, 0}, new int[] {1, 2, 3}, new int[] {3, 3, 3})
                : List.of(new int[] {0, 0}, new int[] {1, 3}, new int[] {2, 2});
    }

    /** Values spanning 2^-31 .. 2 in magnitude, both signs, with exact zeros: sums of their squares are order-sensitive. */
    private static float[] magnitudes(ConformanceSession s, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u = s.random.nextDouble();
            float mantissa = (float) (1 + s.random.nextDouble()) * (s.random.nextBoolean() ? 1 : -1);
            v[i] = u < 0.05 ? 0f : u < 0.1 ? -0f : Math.scalb(mantissa, -s.random.nextInt(32));
        }
        return v;
    }

    private static void sdprun(ConformanceSession s) {
        for (GroupGeometry geo : GEOMETRIES) {
            int n = geo.size(), groups = geo.groups();
            for (int[] off : offsets(geo, 3)) {
                s.reached(path(geo, off));
                for (float threshold : new float[] {0f, 0.05f}) {
                    boolean optional = (off[0] + off[1] + off[2]) % 2 == 0;
                    s.variant = geo + " threshold=" + threshold + " offsets=" + off[0] + "," + off[1] + "," + off[2]
                            + (optional ? "" : " sumSquares=null counter=null");
                    Twin w = s.constant(Float.NaN, off[0], n); // never read
                    float[] g0 = magnitudes(s, n), acc0 = magnitudes(s, n);
                    if (groups > 2) {
                        for (int p = 0; p < geo.groupSize(); p++) {
                            int e = Math.toIntExact(geo.element(1, p));
                            g0[e] = 0f;
                            acc0[e] = 0f; // a zero accumulator: +0.0 out
                        }
                        acc0[Math.toIntExact(geo.element(2, 0))] = Float.NaN; // NaN out, never a pruned zero
                    }
                    Twin g = s.twin(g0, off[1], n), acc = s.twin(acc0, off[2], n);
                    Twin sums = optional ? s.constant(Float.NaN, 2 * (off[0] % 2), 2 * groups) : null;
                    Twin counter = optional ? s.constant(0f, 1, 1) : null;
                    for (int step = 1; step <= 2; step++) {
                        if (step == 2) s.upload(g, magnitudes(s, n));
                        if (counter != null) s.both(b -> b.elementwise().fill(counter.on(b), 0f));
                        s.both(b -> b.groups().sdprun(geo, w.on(b), g.on(b), acc.on(b), 0.3f, threshold,
                                sums == null ? null : doubles(sums.on(b), groups), counter == null ? null : counter.on(b)));
                        s.compare("w", w, Tolerance.BITWISE);
                        s.compare("acc", acc, Tolerance.BITWISE);
                        s.compare("g unchanged", g, Tolerance.BITWISE);
                        if (sums != null) compareDoubles(s, "sumSquares", sums, groups);
                        if (counter != null) {
                            long tested = s.tested.readCounter(counter.tested());
                            s.compareScalar("zero counter", tested, s.reference.readCounter(counter.reference()), Tolerance.BITWISE);
                            s.compareScalar("zero counter vs countZeros(w)", tested, s.tested.elementwise().countZeros(w.tested()), Tolerance.BITWISE);
                        }
                    }
                }
            }
        }
        s.requireReached("paths", PATHS);
    }

    private static void norms(ConformanceSession s) {
        for (GroupGeometry geo : GEOMETRIES) {
            for (int[] off : offsets(geo, 2)) {
                s.reached(path(geo, off[0]));
                for (Norm norm : Norm.values()) {
                    s.variant = geo + " " + norm + " offsets=" + off[0] + "," + off[1];
                    Twin x = s.twin(magnitudes(s, geo.size()), off[0], geo.size());
                    Twin out = s.constant(Float.NaN, off[1], geo.groups());
                    s.both(b -> b.groups().norms(geo, norm, x.on(b), out.on(b)));
                    s.compare("norms", out, Tolerance.BITWISE);
                    s.compare("x unchanged", x, Tolerance.BITWISE);
                }
            }
        }
        s.requireReached("paths", PATHS);
    }

    private static void applyMask(ConformanceSession s) {
        for (GroupGeometry geo : GEOMETRIES) {
            for (int[] off : new int[][] {{0, 0}, {1, 2}, {3, 1}}) {
                s.variant = geo + " mask offset=" + off[0] + " x offset=" + off[1];
                byte[] mask = new byte[geo.groups()];
                for (int i = 0; i < mask.length; i++) mask[i] = (byte) (i % 3 == 1 ? 0 : i % 3 == 0 ? 1 : -1); // any non-zero keeps
                Twin m = s.bytesTwin(mask, off[0]), x = s.twin(magnitudes(s, geo.size()), off[1], geo.size());
                s.both(b -> b.groups().applyMask(geo, m.on(b), x.on(b)));
                s.compare("x", x, Tolerance.BITWISE);
                s.compareBytes("mask unchanged", m);
            }
        }
    }

    /** The f64 view of {@code count} doubles over an f32 twin at an even word offset. */
    private static Tensor doubles(Tensor words, int count) {
        return new Tensor(words.buffer(), DType.F64, words.offset() / 2, count);
    }

    /** Each double of the two sides equal (NaN to NaN), and the tested side's guard words intact. */
    private static void compareDoubles(ConformanceSession s, String output, Twin words, int count) {
        double[] got = read(s, s.tested, doubles(words.tested(), count)), want = read(s, s.reference, doubles(words.reference(), count));
        for (int i = 0; i < count; i++) s.compareDouble(output, got[i], want[i], 0);
        s.compare(output + " (words, guards)", words, Tolerance.BITWISE);
    }

    private static double[] read(ConformanceSession s, Backend b, Tensor t) {
        ByteBuffer bytes = ByteBuffer.wrap(s.readBytes(b, t)).order(ByteOrder.nativeOrder());
        double[] out = new double[Math.toIntExact(t.size())];
        for (int i = 0; i < out.length; i++) out[i] = bytes.getDouble(8 * i);
        return out;
    }
}
