package io.sparsestep.train;

import java.nio.file.Path;

/**
 * Everything one training run needs, as given on the command line. Optimizer settings not
 * used by the chosen optimizer are ignored ({@code momentum} for gRDA, {@code c}/{@code mu}
 * for SGD) but still checked. The constructor checks counts; {@link TrainingRun#check}
 * checks the rest by the rules of the code that uses each setting. {@code augment} is
 * {@code --augment} as given, null for the default of the data ({@code Augmentation.resolve}).
 */
public record RunConfig(String model, String dataset, Path dataDir, String optimizer,
                        double lr, double momentum, double dampening, boolean nesterov, double weightDecay,
                        double c, double mu, double biasNormC,
                        int epochs, int batchSize, String lrSchedule, int[] milestones, double gamma,
                        long seed, String device, Path out, int trainLimit, int testLimit, boolean progress,
                        String augment) {
    public RunConfig {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (trainLimit < 0) throw new IllegalArgumentException("--train-samples must be >= 0 (0 = all), got " + trainLimit);
        if (testLimit < 0) throw new IllegalArgumentException("--test-samples must be >= 0 (0 = all), got " + testLimit);
        if (!optimizer.equals("grda") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "'; choose grda or sgd");
        }
        milestones = milestones.clone();
    }

    /** The same run with another batch size. */
    public RunConfig withBatchSize(int newBatchSize) {
        return new RunConfig(model, dataset, dataDir, optimizer, lr, momentum, dampening, nesterov, weightDecay, c, mu, biasNormC,
                epochs, newBatchSize, lrSchedule, milestones, gamma, seed, device, out, trainLimit, testLimit, progress, augment);
    }

    public RunConfig withOptimizer(String opt, double newLr, Path newOut) {
        return new RunConfig(model, dataset, dataDir, opt, newLr, momentum, dampening, nesterov, weightDecay, c, mu, biasNormC,
                epochs, batchSize, lrSchedule, milestones, gamma, seed, device, newOut, trainLimit, testLimit, progress, augment);
    }
}
