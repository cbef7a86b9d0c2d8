package io.sparsestep.backend;

/**
 * Argument rules of the {@link GroupOps}, shared by every backend so bad arguments fail the
 * same way, with the same line, everywhere: every view the size its geometry says, the
 * threshold non-negative. Element types are the backends' own check (they read the views).
 */
public final class GroupChecks {
    private GroupChecks() {}

    public static void sdprun(GroupGeometry geo, Tensor w, Tensor g, Tensor acc, float threshold, Tensor sumSquares) {
        geometry(geo);
        size("sdprun w", w, geo.size(), geo);
        size("sdprun g", g, geo.size(), geo);
        size("sdprun acc", acc, geo.size(), geo);
        if (sumSquares != null) size("sdprun sumSquares", sumSquares, geo.groups(), geo);
        if (!(threshold >= 0f)) {
            throw new IllegalArgumentException("sDprun threshold lambda*tau must be >= 0 (tau is gRDA's c*lr^(0.5+mu)*n^mu), got " + threshold);
        }
    }

    public static void norms(GroupGeometry geo, Tensor x, Tensor norms) {
        geometry(geo);
        size("group norms x", x, geo.size(), geo);
        size("group norms output", norms, geo.groups(), geo);
    }

    public static void mask(GroupGeometry geo, Tensor mask, Tensor x) {
        geometry(geo);
        size("group mask", mask, geo.groups(), geo);
        size("group-masked tensor", x, geo.size(), geo);
    }

    private static void geometry(GroupGeometry geo) {
        if (geo == null) throw new IllegalArgumentException("group ops need a GroupGeometry (GroupGeometry.of(shape, grouping)), got null");
    }

    private static void size(String what, Tensor t, long expected, GroupGeometry geo) {
        if (t == null) throw new IllegalArgumentException(what + " is null");
        if (t.size() != expected) {
            throw new IllegalArgumentException(what + " " + t + " has " + t.size() + " elements; the geometry " + geo + " needs " + expected);
        }
    }
}
