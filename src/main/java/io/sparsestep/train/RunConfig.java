package io.sparsestep.train;

import java.nio.file.Path;

/**
 * Everything one training run needs, as given on the command line. Optimizer settings not
 * used by the chosen optimizer are ignored ({@code momentum} for gRDA, {@code c}/{@code mu}
 * for SGD).
 */
public record RunConfig(String model, String dataset, Path dataDir, String optimizer,
                        double lr, double momentum, double dampening, boolean nesterov, double weightDecay,
                        double c, double mu, double biasNormC,
                        int epochs, int batchSize, String lrSchedule, int[] milestones, double gamma,
                        long seed, String device, Path out, int trainLimit, int testLimit, boolean progress) {
    public RunConfig {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (!optimizer.equals("grda") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "'; choose grda or sgd");
        }
        milestones = milestones.clone();
    }

    public RunConfig withOptimizer(String opt, double newLr, Path newOut) {
        return new RunConfig(model, dataset, dataDir, opt, newLr, momentum, dampening, nesterov, weightDecay, c, mu, biasNormC,
                epochs, batchSize, lrSchedule, milestones, gamma, seed, device, newOut, trainLimit, testLimit, progress);
    }
}
