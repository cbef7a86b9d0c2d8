package io.sparsestep.analysis;

import io.sparsestep.backend.VectorOps;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamSpace;

/**
 * The quadratic Bezier curve {@code phi(t) = (1-t)^2 a + 2t(1-t) theta + t^2 b} of Garipov
 * et al.'s mode connectivity ({@code num_bends = 3}), as the gRDA authors use it (ALGORITHMS.md
 * 1.4). The middle point theta lives in a parameter space of its own (values and gradients,
 * laid out like the network's) so an optimizer can train it; it starts at (a + b) / 2, where
 * the curve is the straight line.
 */
public final class BezierCurve implements WeightPath, AutoCloseable {
    private final ParamBuffer a, b;
    private final ParamSpace theta;

    public BezierCurve(ParamBuffer a, ParamBuffer b) {
        this.a = a;
        this.b = b;
        this.theta = ParamSpace.allocate(a.backend(), a.layout());
        VectorOps vec = a.backend().vectors();
        theta.values().copyFrom(a);
        vec.scale(theta.values().all(), 0.5f);
        vec.axpy(0.5f, b.all(), theta.values().all());
    }

    /** theta (values) and the gradient of the loss with respect to it (grads). */
    public ParamSpace theta() { return theta; }

    /** d phi / d theta at t: the factor that turns a gradient at phi(t) into one with respect to theta. */
    public static double thetaWeight(double t) { return 2 * t * (1 - t); }

    @Override
    public void pointInto(double t, ParamBuffer out) {
        VectorOps vec = out.backend().vectors();
        out.copyFrom(a);
        vec.scale(out.all(), (float) ((1 - t) * (1 - t)));
        vec.axpy((float) thetaWeight(t), theta.values().all(), out.all());
        vec.axpy((float) (t * t), b.all(), out.all());
    }

    @Override
    public String label() { return "Bezier curve"; }

    @Override
    public void close() { theta.close(); }
}
