package io.sparsestep.store;

import java.util.LinkedHashMap;
import java.util.Objects;

/**
 * What one finished epoch reports: one row of {@code metrics.csv} and one point per curve
 * of the progress chart. Accuracies and sparsities are fractions in 0..1; sparsity is the
 * fraction of exactly-zero weights over all prunable layers, {@code layerSparsity} the same
 * per layer, keyed by layer name.
 */
public record EpochRow(int epoch, double lr, double trainLoss, double trainAccuracy,
                       double testLoss, double testAccuracy, double sparsity, double seconds,
                       LinkedHashMap<String, Double> layerSparsity) {
    public EpochRow {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        Objects.requireNonNull(layerSparsity,
                "layerSparsity is null; pass an empty map when no layer is pruned");
        layerSparsity.forEach((layer, value) -> {
            if (value == null) {
                throw new IllegalArgumentException("epoch " + epoch + ": sparsity of layer " + layer
                        + " is null; leave the layer out or report its sparsity");
            }
        });
        layerSparsity = new LinkedHashMap<>(layerSparsity);
    }
}
