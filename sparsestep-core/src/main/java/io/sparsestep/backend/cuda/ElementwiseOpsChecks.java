package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.List;

import static io.sparsestep.backend.cuda.ConformanceChecks.ALL_SIZES;
import static io.sparsestep.backend.cuda.ConformanceChecks.GRID_STRIDE_SIZE;
import static io.sparsestep.backend.cuda.ConformanceChecks.alignmentCombinations;

/**
 * Conformance of {@link io.sparsestep.backend.ElementwiseOps} (kernels/elementwise.cu vs
 * backend.cpu.CpuElementwiseOps). Bitwise for fill, add (and addRelu), the zero count, the ReLUs and
 * addBias; relative 1e-5 for the bias gradient (a sum whose order differs). The streaming
 * ops run at every size and every alignment combination of their pointers (one pattern
 * per alignment at the grid-stride size), in place as well where the op allows it; ReLU
 * forward keeps a NaN, the zero count sees +0, -0 and NaN. Found by
 * {@link ConformanceChecks#all()} through {@code Backend.elementwise()}.
 */
final class ElementwiseOpsChecks {
    private ElementwiseOpsChecks() {}

    static List<Check> checks() {
        return List.of(
                new Check("elementwise.fill", "fill", ElementwiseOpsChecks::fill),
                new Check("elementwise.add", "add", ElementwiseOpsChecks::add),
                new Check("elementwise.addRelu", "addRelu", ElementwiseOpsChecks::addRelu),
                new Check("elementwise.countZeros", "countZeros", ElementwiseOpsChecks::countZeros),
                new Check("elementwise.reluForward", "reluForward", ElementwiseOpsChecks::reluForward),
                new Check("elementwise.reluBackward", "reluBackward", ElementwiseOpsChecks::reluBackward),
                new Check("elementwise.addBias", "addBias", ElementwiseOpsChecks::addBias),
                new Check("elementwise.biasGradient", "biasGradient", ElementwiseOpsChecks::biasGradient));
    }

    private static void fill(ConformanceSession s) {
        float[] values = {0f, -0f, 3.25f, -1e-30f, Float.MAX_VALUE};
        for (int n : ALL_SIZES) {
            for (int offset : new int[] {0, 1, 2, 3}) {
                float v = values[(n + offset) % values.length];
                s.variant = "n=" + n + " offset=" + offset + " v=" + v;
                Twin t = s.random(offset, n);
                s.both(b -> b.elementwise().fill(t.on(b), v));
                s.compare("x", t, Tolerance.BITWISE);
            }
        }
    }

    private static void add(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : alignmentCombinations(3)) {
                if (n == GRID_STRIDE_SIZE && (off[1] != off[0] || off[2] != off[0])) continue; // one pattern per alignment is enough there
                s.variant = "n=" + n + " offsets=" + off[0] + "," + off[1] + "," + off[2];
                Twin a = s.random(off[0], n), b2 = s.random(off[1], n), out = s.random(off[2], n);
                s.both(b -> b.elementwise().add(a.on(b), b2.on(b), out.on(b)));
                s.compare("out", out, Tolerance.BITWISE);
                s.both(b -> b.elementwise().add(a.on(b), b2.on(b), a.on(b)));
                s.compare("out aliasing a", a, Tolerance.BITWISE);
            }
        }
    }

    /** The residual sum and its ReLU (on CUDA the default composition: add, then the ReLU kernel in place); a NaN stays NaN. */
    private static void addRelu(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : alignmentCombinations(3)) {
                if (n == GRID_STRIDE_SIZE && (off[1] != off[0] || off[2] != off[0])) continue;
                s.variant = "n=" + n + " offsets=" + off[0] + "," + off[1] + "," + off[2];
                float[] aData = s.uniform(n);
                aData[n / 2] = Float.NaN;
                Twin a = s.twin(aData, off[0], n), b2 = s.random(off[1], n), out = s.random(off[2], n);
                s.both(b -> b.elementwise().addRelu(a.on(b), b2.on(b), out.on(b)));
                s.compare("out", out, Tolerance.BITWISE);
                s.both(b -> b.elementwise().addRelu(a.on(b), b2.on(b), a.on(b)));
                s.compare("out aliasing a", a, Tolerance.BITWISE);
            }
        }
    }

    private static void countZeros(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int offset : new int[] {0, 1, 2, 3}) {
                s.variant = "n=" + n + " offset=" + offset;
                float[] data = s.uniform(n);
                for (int i = 0; i < n; i++) {
                    double u = s.random.nextDouble();
                    if (u < 0.2) data[i] = 0f;
                    else if (u < 0.3) data[i] = -0f;
                    else if (u < 0.32) data[i] = Float.NaN;
                }
                Twin t = s.twin(data, offset, n);
                s.compareScalar("count", s.tested.elementwise().countZeros(t.tested()), s.reference.elementwise().countZeros(t.reference()), Tolerance.BITWISE);
            }
        }
    }

    private static void reluForward(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : alignmentCombinations(2)) {
                if (n == GRID_STRIDE_SIZE && off[1] != off[0]) continue;
                s.variant = "n=" + n + " offsets=" + off[0] + "," + off[1];
                float[] xData = s.uniform(n);
                xData[n / 2] = Float.NaN; // must stay NaN on both: a diverged network may not be zeroed here
                Twin x = s.twin(xData, off[0], n), y = s.random(off[1], n);
                s.both(b -> b.elementwise().reluForward(x.on(b), y.on(b)));
                s.compare("y", y, Tolerance.BITWISE);
                s.both(b -> b.elementwise().reluForward(x.on(b), x.on(b)));
                s.compare("y in place", x, Tolerance.BITWISE);
            }
        }
    }

    private static void reluBackward(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : alignmentCombinations(3)) {
                if (n == GRID_STRIDE_SIZE && (off[1] != off[0] || off[2] != off[0])) continue;
                s.variant = "n=" + n + " offsets=" + off[0] + "," + off[1] + "," + off[2];
                float[] yData = s.uniform(n);
                for (int i = 0; i < n; i++) yData[i] = Math.max(yData[i], 0f);
                Twin y = s.twin(yData, off[0], n), dy = s.random(off[1], n), dx = s.random(off[2], n);
                s.both(b -> b.elementwise().reluBackward(y.on(b), dy.on(b), dx.on(b)));
                s.compare("dx", dx, Tolerance.BITWISE);
                s.both(b -> b.elementwise().reluBackward(y.on(b), dy.on(b), dy.on(b)));
                s.compare("dx in place", dy, Tolerance.BITWISE);
            }
        }
    }

    private static void addBias(ConformanceSession s) {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {2, 16, 1}, {4, 3, 1025}};
        for (int[] sh : shapes) {
            s.variant = "n=" + sh[0] + " channels=" + sh[1] + " spatial=" + sh[2];
            Twin y = s.random(1, sh[0], sh[1], sh[2]), bias = s.random(3, sh[1]);
            s.both(b -> b.elementwise().addBias(y.on(b), bias.on(b), sh[0], sh[1], sh[2]));
            s.compare("y", y, Tolerance.BITWISE);
        }
    }

    private static void biasGradient(ConformanceSession s) {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {64, 10, 1}, {4, 3, 1025}, {2, 300, 3}};
        for (int[] sh : shapes) {
            s.variant = "n=" + sh[0] + " channels=" + sh[1] + " spatial=" + sh[2];
            Twin dy = s.random(1, sh[0], sh[1], sh[2]), db = s.constant(Float.NaN, 3, sh[1]);
            s.both(b -> b.elementwise().biasGradient(dy.on(b), db.on(b), sh[0], sh[1], sh[2]));
            s.compare("db", db, Tolerance.relative(1e-5));
        }
    }
}
