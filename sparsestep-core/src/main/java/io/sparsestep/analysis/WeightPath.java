package io.sparsestep.analysis;

import io.sparsestep.backend.VectorOps;
import io.sparsestep.params.ParamBuffer;

/**
 * A path of parameter vectors from endpoint a (t = 0) to endpoint b (t = 1), written into a
 * parameter-shaped buffer on the backend. At t = 0 and t = 1 the point is the endpoint
 * itself, bit for bit (the other coefficients are exactly 0 and 1), so a path's ends have
 * exactly the runs' own losses.
 */
public sealed interface WeightPath permits WeightPath.StraightLine, BezierCurve {
    /** Writes the point at {@code t} (0..1) into {@code out}. */
    void pointInto(double t, ParamBuffer out);

    /** A short name for tables and legends. */
    String label();

    /** The segment {@code (1-t) a + t b}. */
    record StraightLine(ParamBuffer a, ParamBuffer b) implements WeightPath {
        @Override
        public void pointInto(double t, ParamBuffer out) {
            VectorOps vec = out.backend().vectors();
            out.copyFrom(a);
            vec.scale(out.all(), (float) (1 - t));
            vec.axpy((float) t, b.all(), out.all());
        }

        @Override
        public String label() { return "straight line"; }
    }
}
