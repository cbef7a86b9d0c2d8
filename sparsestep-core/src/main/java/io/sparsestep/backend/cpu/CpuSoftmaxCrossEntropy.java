package io.sparsestep.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Softmax cross-entropy of a range of rows of [n, classes] logits, shifted by the row
 * maximum and accumulated in double so large logits neither overflow nor lose the loss.
 * Segments are zero-based views of the backend's tensors.
 */
final class CpuSoftmaxCrossEntropy {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuSoftmaxCrossEntropy() {
    }

    /**
     * Rows [start, end): returns their summed loss and adds their correct predictions to
     * {@code correct[worker]}; writes dlogits rows when dlogits is not null.
     */
    static double rows(MemorySegment logits, MemorySegment labels, int classes, MemorySegment dlogits, float gradScale,
                       int start, int end, long[] correct, int worker) {
        double loss = 0;
        long hits = 0;
        for (int row = start; row < end; row++) {
            long base = (long) row * classes;
            int label = label(labels.getAtIndex(F, row), row, classes);
            // The first maximum is both the stabilising shift and the prediction.
            int best = 0;
            float max = logits.getAtIndex(F, base);
            for (int j = 1; j < classes; j++) {
                float v = logits.getAtIndex(F, base + j);
                if (v > max) {
                    max = v;
                    best = j;
                }
            }
            if (best == label) hits++;
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.exp((double) logits.getAtIndex(F, base + j) - max);
            double logSum = Math.log(sum);
            loss += logSum - ((double) logits.getAtIndex(F, base + label) - max);
            if (dlogits != null) {
                for (int j = 0; j < classes; j++) {
                    double p = Math.exp((double) logits.getAtIndex(F, base + j) - max - logSum);
                    dlogits.setAtIndex(F, base + j, (float) ((p - (j == label ? 1 : 0)) * gradScale));
                }
            }
        }
        correct[worker] += hits;
        return loss;
    }

    private static int label(float value, int row, int classes) {
        int label = (int) value;
        if (label != value || label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + value + " of row " + row + " is not a class index in [0, "
                    + classes + "); labels must hold exact integer class indices");
        }
        return label;
    }
}
