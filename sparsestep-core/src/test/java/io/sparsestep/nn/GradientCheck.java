package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference check of one layer: loss L = sum(y * r) for a fixed random r, so
 * dL/dy = r. The analytic input and parameter gradients from backward() are compared
 * with central differences of L (computed in double from the float32 forward pass) at
 * sampled coordinates. A coordinate whose one-sided differences disagree sits within eps of
 * a kink (ReLU, max pool, ReLU after batch norm that couples a whole channel), where no
 * finite difference is meaningful; such coordinates are skipped, and the check fails if
 * more than a third of them are.
 */
final class GradientCheck {
    private final Backend be;
    private final Layer layer;
    private final int[] inShape;
    private final int batch;
    private final boolean training;
    private final Random rng;
    private final FlatMemory mem;
    private final Slot in, dy;
    private final int[] outShape;
    private final Arena arena = Arena.ofConfined();
    private double[] r;

    GradientCheck(Backend be, Layer layer, int[] inShape, int batch, boolean training, long seed) {
        this.be = be;
        this.layer = layer;
        this.inShape = inShape;
        this.batch = batch;
        this.training = training;
        this.rng = new Random(seed);
        Planner p = new Planner(be, batch);
        in = p.activation(inShape);
        layer.setNeedInputGrad(true);
        outShape = layer.plan(inShape, p);
        dy = p.activation(outShape);
        mem = new FlatMemory(p, seed);
    }

    FlatMemory memory() { return mem; }

    /** Runs the check; returns the worst relative error seen (asserted below tolerance). */
    double run(int samplesPerTensor, double eps, double tol) {
        Tensor x = in.get();
        upload(x, randomArray(x.size()));
        r = randomArray(dy.get().size());
        upload(dy.get(), r);
        layer.forward(x, training);
        Tensor dx = layer.backward(dy.get());
        double worst = 0;
        worst = Math.max(worst, compare("input", x, download(dx), samplesPerTensor, eps, tol));
        for (Param p : mem.paramList()) {
            worst = Math.max(worst, compare(p.name(), p.value().get(), download(p.grad().get()), samplesPerTensor, eps, tol));
        }
        return worst;
    }

    private double compare(String what, Tensor t, double[] analytic, int samples, double eps, double tol) {
        double[] values = download(t);
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < Math.min(samples, values.length); i++) idx.add(samples >= values.length ? i : rng.nextInt(values.length));
        double worst = 0;
        double center = loss();
        int skipped = 0;
        for (int i : idx) {
            double orig = values[i];
            set(t, i, (float) (orig + eps));
            double plus = loss();
            set(t, i, (float) (orig - eps));
            double minus = loss();
            set(t, i, (float) orig);
            double right = (plus - center) / eps, left = (center - minus) / eps;
            if (Math.abs(right - left) > tol * Math.max(1.0, Math.abs(right) + Math.abs(left))) {
                skipped++;
                continue;
            }
            double numeric = (plus - minus) / (2 * eps);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1.0, Math.abs(numeric) + Math.abs(analytic[i]));
            worst = Math.max(worst, err);
            assertTrue(err < tol, () -> String.format("%s: %s[%d] analytic %.6g numeric %.6g (error %.3g > %.3g)",
                    layer.name(), what, i, analytic[i], numeric, err, tol));
        }
        int checkedCount = idx.size() - skipped;
        assertTrue(skipped * 3 <= idx.size(), layer.name() + ": " + what + ": " + skipped + " of " + idx.size()
                + " coordinates sit at kinks; the check would prove little (checked " + checkedCount + ")");
        return worst;
    }

    private double loss() {
        Tensor y = layer.forward(in.get(), training);
        double[] out = download(y);
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * r[i];
        return s;
    }

    double[] randomArray(long n) {
        double[] a = new double[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextGaussian();
        return a;
    }

    void upload(Tensor t, double[] values) {
        MemorySegment host = arena.allocate(4L * values.length, 64);
        for (int i = 0; i < values.length; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) values[i]);
        be.upload(host, t);
    }

    double[] download(Tensor t) {
        MemorySegment host = arena.allocate(4 * t.size(), 64);
        be.download(t, host);
        double[] out = new double[Math.toIntExact(t.size())];
        for (int i = 0; i < out.length; i++) out[i] = host.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return out;
    }

    private void set(Tensor t, int i, float v) {
        MemorySegment host = arena.allocate(4, 4);
        host.set(ValueLayout.JAVA_FLOAT, 0, v);
        be.upload(host, t.range(i, 1));
    }
}
