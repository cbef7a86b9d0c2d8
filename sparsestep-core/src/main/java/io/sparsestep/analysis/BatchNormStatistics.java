package io.sparsestep.analysis;

import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.BatchNorm2d;
import io.sparsestep.nn.Layer;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.StateTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Batch-norm running statistics recomputed for the weights the network holds now, as Garipov
 * et al.'s {@code bn_update} does at every point of a curve (ALGORITHMS.md 1.4): reset (mean
 * 0, variance 1), then one training-mode pass over the data with momentum b/(seen+b) for a
 * batch of b after seen samples, so each statistic ends as the sample-weighted average of
 * the batches' (the mean that of the whole pass; the variance the average of the batches'
 * unbiased variances). Each layer's own momentum is put back afterwards. A batch too small
 * for batch statistics (one value per channel) is left out.
 */
public final class BatchNormStatistics {
    private BatchNormStatistics() {}

    /** Every batch-norm layer of {@code root}, in graph order. */
    public static List<BatchNorm2d> layers(Layer root) {
        List<BatchNorm2d> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(Layer layer, List<BatchNorm2d> out) {
        if (layer instanceof BatchNorm2d bn) out.add(bn);
        for (Layer child : layer.children()) collect(child, out);
    }

    /**
     * Recomputes the statistics over one pass of {@code data} (epoch 0 of the loader: its
     * order, its augmentation draws); false, touching nothing, when the network has no batch norm.
     */
    public static boolean recompute(Network net, BatchLoader data) {
        List<BatchNorm2d> norms = layers(net.root());
        if (norms.isEmpty()) return false;
        for (StateTensor s : net.memory().stateList()) net.backend().elementwise().fill(s.value().get(), s.initial());
        float[] own = new float[norms.size()];
        for (int i = 0; i < own.length; i++) own[i] = norms.get(i).momentum();
        try (BatchStaging staging = new BatchStaging(net)) {
            data.startEpoch(0);
            long seen = 0;
            int n;
            while ((n = staging.uploadNext(data)) > 0) {
                if (!net.trainsBatchOf(n)) continue;
                float m = (float) ((double) n / (seen + n));
                for (BatchNorm2d bn : norms) bn.setMomentum(m);
                net.forward(n, true);
                seen += n;
            }
        } finally {
            for (int i = 0; i < own.length; i++) norms.get(i).setMomentum(own[i]);
        }
        return true;
    }
}
