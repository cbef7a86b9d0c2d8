package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Campfire's optimizer ({@link CampfireSpec}): momentum SGD under a mask, the mask of each
 * conv layer with k x k > 1 recomputed at the start of every epoch e with
 * {@code begin <= e-1 <= freeze} for the cubic ramp's {@code s}, fixed afterwards. The mask of
 * a layer is computed on the host from one download of its weights and uploaded (a few
 * times per run, never inside a step); ranking is exact, in a fixed order (norms in
 * double, summed in index order; ties by index, lowest first), so the backends and the core
 * counts agree.
 */
public final class Campfire extends MaskedOptimizer {
    private final Backend be;
    private final ParamSpace space;
    private final CampfireSpec spec;
    private final int freezeAfter;
    /** The conv layers pruned: rank 4 with a kernel larger than 1x1. */
    private final List<PrunableTensors.Layer> pruned = new ArrayList<>();
    private double lastSparsity;

    Campfire(ParamSpace space, CampfireSpec spec, int freezeAfter) {
        super(space, spec.sgd(), "campfire", "Campfire");
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.freezeAfter = freezeAfter;
        for (PrunableTensors.Layer l : sgd.prunable().layers()) {
            int[] s = l.entry().shape();
            if (s.length == 4 && s[2] * s[3] > 1) pruned.add(l);
        }
        if (pruned.isEmpty()) {
            sgd.close();
            throw new IllegalArgumentException("Campfire prunes conv layers with kernels larger than 1x1; this model has none "
                    + "(use gmp or magnitude for linear layers)");
        }
    }

    /** The sparsity of the ramp at the start of epoch {@code epoch}, or -1 when no update happens then. */
    double sparsityAt(int epoch) {
        int e = epoch - 1;
        if (e < spec.beginEpoch() || e > freezeAfter) return -1;
        double p = (double) (e - spec.beginEpoch()) / (freezeAfter - spec.beginEpoch());
        double r = 1 - p;
        return spec.sparsity() + (spec.initialSparsity() - spec.sparsity()) * r * r * r;
    }

    @Override
    public void startEpoch(int epoch) {
        double s = sparsityAt(epoch);
        if (s < 0) return;
        for (PrunableTensors.Layer layer : pruned) updateLayer(layer, s);
        sgd.zeroPruned(space);
        lastSparsity = s;
    }

    private void updateLayer(PrunableTensors.Layer layer, double s) {
        int[] shape = layer.entry().shape();
        int kernels = shape[0] * shape[1], kk = shape[2] * shape[3];
        int n = Math.toIntExact(layer.size());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * n, 64);
            be.download(layer.w(), host);
            float[] w = host.toArray(ValueLayout.JAVA_FLOAT);
            byte[] mask = new byte[n];
            switch (spec.granularity()) {
                case WINDOW -> windows(w, kk, s, kernelsAll(kernels), mask);
                case KERNEL -> expand(keptKernels(w, kernels, kk, s), kk, mask);
                case COMBINED -> {
                    double share = 1 - Math.sqrt(1 - s);
                    windows(w, kk, share, keptKernels(w, kernels, kk, share), mask);
                }
            }
            be.upload(MemorySegment.ofArray(mask), layer.mask());
        }
    }

    /**
     * The kernels kept by norm: exactly max(round_half_even(kernels*(1-s)), 1), largest norm first, ties by index.
     * The norms stay on the host in double rather than {@code GroupOps.norms} (same kernel groups, but rounded to float):
     * two kernels whose norms differ by less than a float's rounding could tie there and be ranked by index instead,
     * changing a mask, and the pass runs a few times per run on a weight download the mask needs anyway.
     */
    boolean[] keptKernels(float[] w, int kernels, int kk, double s) {
        double[] norm = new double[kernels];
        for (int k = 0; k < kernels; k++) {
            double sum = 0;
            for (int j = 0; j < kk; j++) {
                double v = w[k * kk + j];
                sum += spec.l2() ? v * v : Math.abs(v);
            }
            norm[k] = spec.l2() ? Math.sqrt(sum) : sum;
        }
        long keep = Math.max((long) Math.rint(kernels * (1 - s)), 1);
        Integer[] order = new Integer[kernels];
        for (int k = 0; k < kernels; k++) order[k] = k;
        Arrays.sort(order, (a, b) -> norm[a] != norm[b] ? Double.compare(norm[b], norm[a]) : Integer.compare(a, b));
        boolean[] kept = new boolean[kernels];
        for (int r = 0; r < keep; r++) kept[order[r]] = true;
        return kept;
    }

    private static boolean[] kernelsAll(int kernels) {
        boolean[] all = new boolean[kernels];
        Arrays.fill(all, true);
        return all;
    }

    private static void expand(boolean[] kept, int kk, byte[] mask) {
        for (int k = 0; k < kept.length; k++) if (kept[k]) Arrays.fill(mask, k * kk, (k + 1) * kk, (byte) 1);
    }

    /** Inside each kept kernel, the max(round_half_even(kk*(1-s)), 1) largest |w|, ties by index. */
    static void windows(float[] w, int kk, double s, boolean[] keptKernels, byte[] mask) {
        int keep = (int) Math.max(Math.rint(kk * (1 - s)), 1);
        Integer[] order = new Integer[kk];
        for (int k = 0; k < keptKernels.length; k++) {
            if (!keptKernels[k]) continue;
            int base = k * kk;
            for (int j = 0; j < kk; j++) order[j] = j;
            Arrays.sort(order, (a, b) -> {
                float x = Math.abs(w[base + a]), y = Math.abs(w[base + b]);
                return x != y ? Float.compare(y, x) : Integer.compare(a, b);
            });
            for (int r = 0; r < keep; r++) mask[base + order[r]] = 1;
        }
    }

    @Override
    void putOwnScalars(Map<String, Double> scalars) { scalars.put("sparsity_target", lastSparsity); }

    @Override
    void restoreOwnScalars(Map<String, Double> scalars) { lastSparsity = StateScalars.require(scalars, "sparsity_target", "Campfire"); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("granularity", spec.granularity().option);
        c.put("kernel_norm", spec.l2() ? "l2" : "l1");
        c.put("sparsity", spec.sparsity());
        c.put("begin_epoch", spec.beginEpoch());
        c.put("freeze_after_epoch", freezeAfter);
        c.put("layers", pruned.stream().map(l -> l.entry().name()).toList());
        c.put("rounding", "half to even, at least 1 kept; ties by index, lowest first");
        out.put("campfire", c);
        return out;
    }
}
