package io.sparsestep.data;

import java.util.SplittableRandom;

/**
 * A linear classifier (multinomial logistic regression) trained with per-sample SGD, written
 * plainly for tests: it measures how far pixels alone, linearly, go on a synthetic dataset.
 */
final class SoftmaxRegression {
    private final int inputs;
    private final int classes;
    private final double[] weights;
    private final double[] bias;
    private final Normalization norm;
    private final int plane;

    SoftmaxRegression(DatasetSplit train) {
        this.inputs = train.imageSize();
        this.classes = train.classes();
        this.weights = new double[classes * inputs];
        this.bias = new double[classes];
        this.norm = Normalization.of(train);
        this.plane = train.height() * train.width();
    }

    private double[] features(DatasetSplit s, int i) {
        double[] x = new double[inputs];
        for (int d = 0; d < inputs; d++) {
            x[d] = norm.apply(d / plane, s.pixels()[i * inputs + d] & 0xFF);
        }
        return x;
    }

    private double[] scores(double[] x) {
        double[] z = new double[classes];
        for (int k = 0; k < classes; k++) {
            double s = bias[k];
            for (int d = 0; d < inputs; d++) {
                s += weights[k * inputs + d] * x[d];
            }
            z[k] = s;
        }
        return z;
    }

    void train(DatasetSplit s, int epochs, double lr, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = new int[s.count()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int e = 0; e < epochs; e++) {
            for (int i = order.length - 1; i > 0; i--) {
                int k = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
            for (int i : order) {
                double[] x = features(s, i);
                double[] z = scores(x);
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    z[k] = Math.exp(z[k] - max);
                    sum += z[k];
                }
                for (int k = 0; k < classes; k++) {
                    double g = z[k] / sum - (k == s.label(i) ? 1 : 0);
                    bias[k] -= lr * g;
                    for (int d = 0; d < inputs; d++) {
                        weights[k * inputs + d] -= lr * g * x[d];
                    }
                }
            }
        }
    }

    double accuracy(DatasetSplit s) {
        int correct = 0;
        for (int i = 0; i < s.count(); i++) {
            double[] z = scores(features(s, i));
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (z[k] > z[best]) {
                    best = k;
                }
            }
            if (best == s.label(i)) {
                correct++;
            }
        }
        return correct / (double) s.count();
    }
}
