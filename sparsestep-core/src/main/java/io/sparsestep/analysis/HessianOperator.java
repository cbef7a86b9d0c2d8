package io.sparsestep.analysis;

import io.sparsestep.backend.VectorOps;
import io.sparsestep.nn.Network;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamLayout;

/**
 * The Hessian of the training loss at the network's parameters w, restricted to a
 * {@link ParamSelection}, as a {@link SymmetricOperator} through Hessian-vector products by
 * central differences of the data-set gradient:
 * {@code H v = (g(w + eps v) - g(w - eps v)) / (2 eps)}, exact for a quadratic loss and
 * otherwise off by O(eps^2) (the third derivative), against float32 rounding in g that
 * grows as 1/eps. The step is relative: {@code eps = step * ||w|| / ||v||} (norms over the
 * selected parameters), so the weights move by {@code step} of their own norm whatever v's
 * scale; the default 1e-3 keeps both errors near 1e-4 of the product on the tests'
 * models (HessianOperatorTest). With {@link ParamSelection#WEIGHTS} the other parameters stay
 * at w and only the weights' rows of the product are kept (P H P). Each product is two
 * gradient passes over the data; w is put back after each.
 */
public final class HessianOperator implements SymmetricOperator, AutoCloseable {
    public static final double DEFAULT_STEP = 1e-3;

    private final Network net;
    private final DatasetGradient gradient;
    private final ParamSelection selection;
    private final double step;
    private final ParamLayout layout;
    private final ParamBuffer w0, direction, plus, minus;
    private final double weightNorm;
    private final int dimension;
    private long products;

    public HessianOperator(Network net, DatasetGradient gradient, ParamSelection selection, double step) {
        if (!(step > 0 && step < 1)) throw new IllegalArgumentException("the HVP step must be in (0, 1), got " + step);
        this.net = net;
        this.gradient = gradient;
        this.selection = selection;
        this.step = step;
        this.layout = net.paramSpace().layout();
        this.dimension = selection.dimension(layout);
        this.w0 = net.paramSpace().allocateLike("hessian.w");
        this.direction = net.paramSpace().allocateLike("hessian.direction");
        this.plus = net.paramSpace().allocateLike("hessian.g+");
        this.minus = net.paramSpace().allocateLike("hessian.g-");
        w0.copyFrom(net.paramSpace().values());
        this.weightNorm = Lanczos.norm(selection.pack(layout, w0.toHost()));
    }

    @Override
    public int dimension() { return dimension; }

    /** The parameters the Hessian is taken at, packed as the vectors are. */
    public double[] point() { return selection.pack(layout, w0.toHost()); }

    /** Hessian-vector products computed so far. */
    public long products() { return products; }

    /** eps for a direction of norm {@code vNorm}: {@code step} of ||w|| (of 1 when w is 0). */
    double epsFor(double vNorm) { return step * (weightNorm > 0 ? weightNorm : 1) / vNorm; }

    @Override
    public void apply(double[] v, double[] out) {
        double vNorm = Lanczos.norm(v);
        if (vNorm == 0) {
            java.util.Arrays.fill(out, 0);
            return;
        }
        // the float32 step the backend applies, so the quotient divides by what was added
        float eps = (float) epsFor(vNorm);
        direction.fromHost(selection.unpack(layout, v));
        VectorOps vec = net.backend().vectors();
        ParamBuffer w = net.paramSpace().values();
        try {
            w.copyFrom(w0);
            vec.axpy(eps, direction.all(), w.all());
            gradient.meanGradient(plus);
            w.copyFrom(w0);
            vec.axpy(-eps, direction.all(), w.all());
            gradient.meanGradient(minus);
        } finally {
            w.copyFrom(w0);
        }
        double[] gp = selection.pack(layout, plus.toHost()), gm = selection.pack(layout, minus.toHost());
        for (int i = 0; i < out.length; i++) out[i] = (gp[i] - gm[i]) / (2.0 * eps);
        products++;
    }

    @Override
    public void close() {
        w0.close();
        direction.close();
        plus.close();
        minus.close();
    }
}
