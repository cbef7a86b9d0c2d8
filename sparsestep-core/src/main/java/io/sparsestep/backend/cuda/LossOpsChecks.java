package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.List;

/**
 * Conformance of {@link io.sparsestep.backend.LossOps} (kernels/loss.cu vs
 * backend.cpu.CpuLossOps): softmax cross-entropy over five shapes (one class to a
 * thousand), with and without the gradient; the loss sum relative 1e-4, the correct count
 * bitwise, the gradient relative 1e-5. Found by {@link ConformanceChecks#all()} through
 * {@code Backend.loss()}.
 */
final class LossOpsChecks {
    private LossOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("loss.softmaxCrossEntropy", LossOpsChecks::softmaxCrossEntropy));
    }

    private static void softmaxCrossEntropy(ConformanceSession s) {
        int[][] shapes = {{1, 1}, {1, 3}, {5, 10}, {64, 7}, {33, 1000}};
        for (int[] sh : shapes) {
            int n = sh[0], classes = sh[1];
            for (boolean withGradient : new boolean[] {true, false}) {
                s.variant = "n=" + n + " classes=" + classes + (withGradient ? "" : " dlogits=null");
                float[] logits = s.uniform(n * classes);
                for (int i = 0; i < logits.length; i++) logits[i] *= 6f;
                float[] labels = new float[n];
                for (int i = 0; i < n; i++) labels[i] = s.random.nextInt(classes);
                Twin x = s.twin(logits, 1, n, classes), lab = s.twin(labels, 3, n);
                Twin dx = withGradient ? s.constant(Float.NaN, 0, n, classes) : null;
                Twin result = s.constant(Float.NaN, 1, 2);
                float scale = 1f / n;
                s.both(b -> b.loss().softmaxCrossEntropy(x.on(b), lab.on(b), n, classes, dx == null ? null : dx.on(b), scale, result.on(b)));
                float[] rt = s.read(s.tested, result.tested()), rr = s.read(s.reference, result.reference());
                // the kernel works in float, the twin in double: a confident row's loss (log of a
                // sum near 1) and gradient (p - 1) are tiny and carry float's absolute error, so
                // they are held to their natural scale: n rows of loss, |dlogits| <= grad_scale
                s.compareScalar("loss sum", rt[0], rr[0], Tolerance.relative(1e-4, n));
                s.compareScalar("correct count", rt[1], rr[1], Tolerance.BITWISE);
                if (dx != null) s.compare("dlogits", dx, Tolerance.relative(1e-5, scale));
            }
        }
    }
}
