package io.sparsestep.backend.cuda;

import io.sparsestep.backend.ConvGeometry;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything cuDNN needs for one convolution geometry: the four descriptors, created at
 * first use, and per direction the algorithms cudnnFind* measured (once, the first time the
 * direction is needed). Choosing an algorithm for a call is then a scan of at most a
 * handful of results for the fastest one that fits the workspace the caller passed.
 *
 * <p>Find benchmarks on buffers cuDNN allocates itself, aligned as cudaMalloc aligns them.
 * Views into sparsestep's buffers can sit at any float offset, and some algorithms refuse
 * misaligned pointers (CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER or NOT_SUPPORTED). Such a
 * refusal is checked before any work is launched, so the call falls back to the next
 * fastest algorithm and remembers the refusal for pointers of that alignment.
 */
final class ConvPlan implements AutoCloseable {
    enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /** One attempt with one algorithm; returns cuDNN's status. */
    interface Attempt {
        int run(int algo);
    }

    final ConvGeometry geometry;
    final long x, w, y, conv;
    private final Cudnn cudnn;
    private final Map<Direction, List<ConvAlgoPerf>> found = new EnumMap<>(Direction.class);
    private final Set<Long> refused = new HashSet<>();

    ConvPlan(Cudnn cudnn, ConvGeometry g) {
        this.cudnn = cudnn;
        this.geometry = g;
        long xd = 0, wd = 0, yd = 0, cd = 0;
        try {
            xd = cudnn.tensor4d(g.n(), g.c(), g.h(), g.w());
            wd = cudnn.filter4d(g.k(), g.c(), g.r(), g.s());
            cd = cudnn.convolution2d(g.padH(), g.padW(), g.strideH(), g.strideW());
            Cudnn.requireSameShape(cudnn.convolutionOutput(cd, xd, wd), g, g.n(), g.k(), g.outH(), g.outW());
            yd = cudnn.tensor4d(g.n(), g.k(), g.outH(), g.outW());
        } catch (RuntimeException e) {
            if (xd != 0) cudnn.destroyTensor(xd);
            if (wd != 0) cudnn.destroyFilter(wd);
            if (cd != 0) cudnn.destroyConvolution(cd);
            throw e;
        }
        this.x = xd;
        this.w = wd;
        this.conv = cd;
        this.y = yd;
    }

    /** The measured algorithms of one direction, running cudnnFind* the first time. */
    List<ConvAlgoPerf> found(Direction d) {
        return found.computeIfAbsent(d, dir -> switch (dir) {
            case FORWARD -> cudnn.findForward(x, w, conv, y);
            case BACKWARD_DATA -> cudnn.findBackwardData(w, y, conv, x);
            case BACKWARD_FILTER -> cudnn.findBackwardFilter(x, y, conv, w);
        });
    }

    /** Workspace bytes the three directions need under {@code capBytes} (see {@link ConvAlgoPerf#workspaceFor}). */
    long workspaceBytes(long capBytes) {
        return mostOverDirections(d -> ConvAlgoPerf.workspaceFor(found(d), capBytes));
    }

    /** The least workspace with which all three directions can run (each with its leanest working algorithm). */
    long leastWorkspaceBytes() {
        return mostOverDirections(d -> ConvAlgoPerf.leastWorkspace(found(d)));
    }

    private long mostOverDirections(java.util.function.ToLongFunction<Direction> needOf) {
        long most = 0;
        for (Direction d : Direction.values()) {
            long need = needOf.applyAsLong(d);
            if (need < 0) {
                throw new IllegalStateException("cuDNN has no working " + d.name().toLowerCase().replace('_', ' ')
                        + " algorithm for " + geometry + " (every candidate failed during cudnnFind)");
            }
            most = Math.max(most, need);
        }
        return most;
    }

    /**
     * Runs {@code attempt} with the fastest usable algorithm, falling back to slower ones
     * that cuDNN accepts for these pointers. {@code misaligned} keys the memory of refusals.
     */
    void run(Direction d, long workspaceBytes, boolean misaligned, Attempt attempt) {
        List<ConvAlgoPerf> candidates = ConvAlgoPerf.usable(found(d), workspaceBytes);
        if (candidates.isEmpty()) {
            long need = ConvAlgoPerf.workspaceFor(found(d), Long.MAX_VALUE);
            throw new IllegalArgumentException("convolution workspace of " + workspaceBytes + " bytes is too small for the "
                    + d.name().toLowerCase().replace('_', ' ') + " pass of " + geometry + ": it needs at least " + need
                    + " bytes; size the workspace with convWorkspaceWords(geometry)");
        }
        List<String> refusals = new ArrayList<>();
        int firstStatus = 0;
        for (ConvAlgoPerf p : candidates) {
            long key = refusalKey(d, p.algo(), misaligned);
            if (refused.contains(key)) continue;
            int status = attempt.run(p.algo());
            if (status == 0) return;
            if (!cudnn.rejectsArguments(status)) cudnn.check(status, functionName(d) + "(algo " + p.algo() + ")");
            refused.add(key);
            if (firstStatus == 0) firstStatus = status;
            refusals.add("algo " + p.algo() + ": " + CudaErrorNames.cudnnStatus(status, cudnn.major()));
        }
        if (firstStatus == 0) {
            throw new IllegalStateException(functionName(d) + ": every algorithm that fits was refused earlier for "
                    + (misaligned ? "misaligned" : "aligned") + " pointers on " + geometry);
        }
        cudnn.check(firstStatus, functionName(d) + " for " + geometry + " (all algorithms refused: " + String.join(", ", refusals) + ")");
    }

    private static long refusalKey(Direction d, int algo, boolean misaligned) {
        return ((long) d.ordinal() << 33) | ((long) algo << 1) | (misaligned ? 1 : 0);
    }

    private static String functionName(Direction d) {
        return switch (d) {
            case FORWARD -> "cudnnConvolutionForward";
            case BACKWARD_DATA -> "cudnnConvolutionBackwardData";
            case BACKWARD_FILTER -> "cudnnConvolutionBackwardFilter";
        };
    }

    @Override
    public void close() {
        cudnn.destroyTensor(x);
        cudnn.destroyTensor(y);
        cudnn.destroyFilter(w);
        cudnn.destroyConvolution(conv);
    }
}
