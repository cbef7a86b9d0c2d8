package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Float4Split;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.List;

import static io.sparsestep.backend.cuda.ConformanceChecks.ALL_SIZES;
import static io.sparsestep.backend.cuda.ConformanceChecks.FLOAT4_PATHS;
import static io.sparsestep.backend.cuda.ConformanceChecks.GRID_STRIDE_SIZE;
import static io.sparsestep.backend.cuda.ConformanceChecks.alignmentCombinations;

/**
 * Conformance of {@link io.sparsestep.backend.VectorOps} (kernels/vector.cu vs
 * backend.cpu.CpuVectorOps): axpy and scale bitwise, in every alignment combination of
 * their pointers; dot and norm to a relative 1e-12 (both sum exact double products in
 * double, in different fixed orders: the difference is double rounding, ~n * 1e-16).
 * Found by {@link ConformanceChecks#all()} through {@code Backend.vectors()}.
 */
final class VectorOpsChecks {
    static final double REDUCTION_BOUND = 1e-12;

    private VectorOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("vectors.axpy", VectorOpsChecks::axpy), new Check("vectors.addScaledSign", VectorOpsChecks::addScaledSign),
                new Check("vectors.scale", VectorOpsChecks::scale),
                new Check("vectors.dot", VectorOpsChecks::dot), new Check("vectors.norm", VectorOpsChecks::norm));
    }

    private static void axpy(ConformanceSession s) {
        for (float alpha : new float[] {-1.5f, 3e-3f}) {
            for (int n : ALL_SIZES) {
                for (int[] off : alignmentCombinations(2)) {
                    if (n == GRID_STRIDE_SIZE && off[0] != off[1]) continue;
                    Float4Split.of(n, off[0], off[1]).markReached(s);
                    s.variant = "alpha=" + alpha + " n=" + n + " offsets=" + off[0] + "," + off[1];
                    Twin x = s.random(off[0], n), y = s.random(off[1], n);
                    s.both(b -> b.vectors().axpy(alpha, x.on(b), y.on(b)));
                    s.compare("y", y, Tolerance.BITWISE);
                    s.compare("x unchanged", x, Tolerance.BITWISE);
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    private static void addScaledSign(ConformanceSession s) {
        for (float scale : new float[] {1e-4f, -2.5f}) {
            for (int n : ALL_SIZES) {
                for (int[] off : alignmentCombinations(2)) {
                    if (n == GRID_STRIDE_SIZE && off[0] != off[1]) continue;
                    Float4Split.of(n, off[0], off[1]).markReached(s);
                    s.variant = "s=" + scale + " n=" + n + " offsets=" + off[0] + "," + off[1];
                    float[] data = s.uniform(n);
                    // zeros of both signs and a NaN: sign(0) = 0, NaN stays NaN
                    if (n > 3) {
                        data[0] = 0f;
                        data[1] = -0f;
                        data[2] = Float.NaN;
                    }
                    Twin x = s.twin(data, off[0], n), y = s.random(off[1], n);
                    s.both(b -> b.vectors().addScaledSign(scale, x.on(b), y.on(b)));
                    s.compare("y", y, Tolerance.BITWISE);
                    s.compare("x unchanged", x, Tolerance.BITWISE);
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    private static void scale(ConformanceSession s) {
        for (float alpha : new float[] {0.75f, -0f, 0f}) {
            for (int n : ALL_SIZES) {
                for (int offset = 0; offset < 4; offset++) {
                    s.variant = "alpha=" + alpha + " n=" + n + " offset=" + offset;
                    float[] data = s.uniform(n);
                    if (n > 3) data[3] = Float.NaN;
                    Twin x = s.twin(data, offset, n);
                    s.both(b -> b.vectors().scale(x.on(b), alpha));
                    s.compare("x", x, Tolerance.BITWISE);
                }
            }
        }
    }

    private static void dot(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : new int[][] {{0, 0}, {1, 1}, {0, 3}}) {
                s.variant = "n=" + n + " offsets=" + off[0] + "," + off[1];
                Twin x = s.random(off[0], n), y = s.random(off[1], n);
                s.compareDouble("x.y", s.tested.vectors().dot(x.tested(), y.tested()),
                        s.reference.vectors().dot(x.reference(), y.reference()), REDUCTION_BOUND);
            }
        }
        s.variant = "n=0";
        Twin empty = s.random(0, 0);
        s.compareDouble("empty", s.tested.vectors().dot(empty.tested(), empty.tested()), 0, REDUCTION_BOUND);
    }

    private static void norm(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int offset : new int[] {0, 1, 2}) {
                s.variant = "n=" + n + " offset=" + offset;
                Twin x = s.random(offset, n);
                s.compareDouble("|x|", s.tested.vectors().norm(x.tested()), s.reference.vectors().norm(x.reference()), REDUCTION_BOUND);
            }
        }
    }
}
