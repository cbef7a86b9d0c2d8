package io.sparsestep.analysis;

import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains the middle point of a {@link BezierCurve} as Garipov et al.'s {@code train.py}
 * with {@code --curve Bezier} does (ALGORITHMS.md 1.4): for each minibatch draw
 * t ~ U(0, 1), put phi(t) into the network, take the mean-loss gradient there in training
 * mode, and step theta with SGD on {@code 2t(1-t) * grad_w L(phi(t))}, its gradient by the
 * chain rule. The endpoints never move. The learning rate follows Garipov's schedule
 * ({@link #lrFactor}), set once per epoch. t comes from {@code seed} (one draw per batch),
 * the data order from the loader, so a training is reproducible.
 */
public final class CurveTrainer {
    private static final long T_STREAM = 0x7e2f_c0deL;

    /**
     * @param epochs    passes over the training data, >= 1
     * @param lr        the base learning rate, > 0 (the authors: 0.1)
     * @param momentum  SGD momentum, PyTorch's, in [0, 1) (the authors: 0.9 for VGG16, 0 for WRN-28-10)
     * @param seed      seed of the t draws
     */
    public record Settings(int epochs, double lr, double momentum, long seed) {
        public Settings {
            if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
            if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        }
    }

    /** One epoch of curve training: its learning rate and the mean loss at the t drawn for its batches. */
    public record Epoch(int epoch, double lr, double meanLoss) {}

    private CurveTrainer() {}

    /**
     * Garipov et al.'s factor for epoch {@code epoch} (0-based) of {@code epochs}: 1 up to half
     * way, then linearly down to 0.01 at 90%, then 0.01.
     */
    public static double lrFactor(int epoch, int epochs) {
        double alpha = (double) epoch / epochs;
        if (alpha <= 0.5) return 1.0;
        if (alpha <= 0.9) return 1.0 - (alpha - 0.5) / 0.4 * 0.99;
        return 0.01;
    }

    /** Trains {@code curve}'s theta on {@code train} (shuffled per epoch as a training run's loader); reports each epoch. */
    public static List<Epoch> train(Network net, BezierCurve curve, BatchLoader train, Settings s, Consumer<Epoch> onEpoch) {
        if (!net.trainsBatchOf(train.batchSize())) {
            throw new IllegalArgumentException("a batch of " + train.batchSize() + " cannot train " + net.modelId() + " (batch norm needs 2 values per channel)");
        }
        SplittableRandom draws = new SplittableRandom(s.seed() ^ T_STREAM);
        List<Epoch> epochs = new ArrayList<>();
        float[] lossAndCorrect = new float[2];
        try (Sgd sgd = Sgd.builder().lr(s.lr()).momentum(s.momentum()).build(curve.theta());
             BatchStaging staging = new BatchStaging(net)) {
            for (int e = 0; e < s.epochs(); e++) {
                double factor = lrFactor(e, s.epochs());
                train.startEpoch(e + 1);
                double lossSum = 0;
                long seen = 0;
                int n;
                while ((n = staging.uploadNext(train)) > 0) {
                    if (!net.trainsBatchOf(n)) continue;
                    double t = draws.nextDouble();
                    curve.pointInto(t, net.paramSpace().values());
                    net.trainStep(n);
                    curve.theta().grads().copyFrom(net.paramSpace().grads());
                    net.backend().vectors().scale(curve.theta().grads().all(), (float) BezierCurve.thetaWeight(t));
                    sgd.step(factor);
                    net.readLossAndCorrect(lossAndCorrect);
                    lossSum += lossAndCorrect[0];
                    seen += n;
                }
                Epoch row = new Epoch(e + 1, s.lr() * factor, lossSum / seen);
                epochs.add(row);
                onEpoch.accept(row);
            }
        }
        return epochs;
    }
}
