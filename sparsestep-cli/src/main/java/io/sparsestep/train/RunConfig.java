package io.sparsestep.train;

import io.sparsestep.nn.Architecture;
import io.sparsestep.optim.MethodSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Everything one training run needs, as given on the command line: the model and data,
 * the method with all its hyperparameters (a checked {@link MethodSpec}, not a string),
 * the schedule, the seed, where to write, how often to checkpoint, and weights to start
 * from. The constructor checks counts; {@link TrainingRun#check} checks the rest by the
 * rules of the code that uses each setting. {@code augment} is {@code --augment} as given,
 * null for the default of the data ({@code Augmentation.resolve}); {@code initFrom} may be
 * null; {@code widths} is {@code --widths} as given (a preset or an architecture file), null
 * for the model's own widths; {@code bnRecalibrate} is {@code --bn-recalibrate} as given, null for
 * the method's default ({@link BnRecalibration#resolve}); {@code lastBatch} is {@code --last-batch}
 * as given ({@code train} or {@code drop}), null for the default, train.
 */
public record RunConfig(String model, String dataset, Path dataDir, MethodSpec method,
                        int epochs, int batchSize, String lrSchedule, int[] milestones, double gamma,
                        long seed, String device, Path out, int trainLimit, int testLimit, boolean progress,
                        String augment, int checkpointEvery, Path initFrom, String widths, String bnRecalibrate,
                        String lastBatch) {
    public RunConfig {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (trainLimit < 0) throw new IllegalArgumentException("--train-samples must be >= 0 (0 = all), got " + trainLimit);
        if (testLimit < 0) throw new IllegalArgumentException("--test-samples must be >= 0 (0 = all), got " + testLimit);
        if (checkpointEvery < 1) throw new IllegalArgumentException("--checkpoint-every must be >= 1 epoch, got " + checkpointEvery);
        if (lastBatch != null && !lastBatch.equals("train") && !lastBatch.equals("drop")) {
            throw new IllegalArgumentException("--last-batch must be train (a smaller last batch each epoch) or drop (full batches only), got '"
                    + lastBatch + "'");
        }
        milestones = milestones.clone();
    }

    /** With the default last batch (trained, however small). */
    public RunConfig(String model, String dataset, Path dataDir, MethodSpec method, int epochs, int batchSize, String lrSchedule,
                     int[] milestones, double gamma, long seed, String device, Path out, int trainLimit, int testLimit, boolean progress,
                     String augment, int checkpointEvery, Path initFrom, String widths, String bnRecalibrate) {
        this(model, dataset, dataDir, method, epochs, batchSize, lrSchedule, milestones, gamma, seed, device, out, trainLimit, testLimit,
                progress, augment, checkpointEvery, initFrom, widths, bnRecalibrate, null);
    }

    /** Without {@code --bn-recalibrate} (the method's default). */
    public RunConfig(String model, String dataset, Path dataDir, MethodSpec method, int epochs, int batchSize, String lrSchedule,
                     int[] milestones, double gamma, long seed, String device, Path out, int trainLimit, int testLimit, boolean progress,
                     String augment, int checkpointEvery, Path initFrom, String widths) {
        this(model, dataset, dataDir, method, epochs, batchSize, lrSchedule, milestones, gamma, seed, device, out, trainLimit, testLimit,
                progress, augment, checkpointEvery, initFrom, widths, null);
    }

    @Override
    public int[] milestones() { return milestones.clone(); }

    /** When the batch-norm statistics are recomputed: {@code --bn-recalibrate}, or the method's default. */
    public BnRecalibration bnRecalibration() { return BnRecalibration.resolve(bnRecalibrate, method); }

    /**
     * Whether an epoch leaves out its partial last batch ({@code --last-batch drop}, our choice [G],
     * PyTorch's {@code drop_last}). A batch-norm network takes a full-learning-rate step on
     * those few images' own statistics just before each evaluation, which can swing a short
     * run's test accuracy (docs/EXPERIMENTS.md, "sDprun on ResNet-20: a stable recipe").
     */
    public boolean dropsPartialLastBatch() { return "drop".equals(lastBatch); }

    /** The method's id: "grda", "sgd", ... */
    public String optimizer() { return method.method().id(); }

    /** The method's base learning rate. */
    public double lr() { return method.lr(); }

    /**
     * The architecture this run trains: {@code --widths} read (a preset or an architecture
     * file), or the model's own widths. The file is read on every call: resolve it once per run.
     */
    public Architecture architecture() {
        if (widths == null) return Architecture.defaults(model);
        Architecture a = Architecture.resolve(widths);
        if (!a.model().equals(model)) {
            throw new IllegalArgumentException("--widths " + widths + " is an architecture of " + a.model() + ", not of --model " + model
                    + "; pass --model " + a.model() + " or leave --model out");
        }
        return a;
    }

    /** The same run with another batch size. */
    public RunConfig withBatchSize(int newBatchSize) {
        return new RunConfig(model, dataset, dataDir, method, epochs, newBatchSize, lrSchedule, milestones, gamma, seed, device, out,
                trainLimit, testLimit, progress, augment, checkpointEvery, initFrom, widths, bnRecalibrate, lastBatch);
    }

    /** The same run with another method, written to another folder (the demo's second run). */
    public RunConfig withMethod(MethodSpec newMethod, Path newOut) {
        return new RunConfig(model, dataset, dataDir, newMethod, epochs, batchSize, lrSchedule, milestones, gamma, seed, device, newOut,
                trainLimit, testLimit, progress, augment, checkpointEvery, initFrom, widths, bnRecalibrate, lastBatch);
    }

    /**
     * The same model, data, method, batch and seed for {@code newEpochs} epochs at the constant
     * base learning rate, written to {@code newOut}: a short trial run (tune's), whose schedule
     * must not depend on the full run's length.
     */
    public RunConfig trial(int newEpochs, Path newOut) {
        return new RunConfig(model, dataset, dataDir, method, newEpochs, batchSize, "constant", new int[0], gamma, seed, device, newOut,
                trainLimit, testLimit, progress, augment, Math.min(checkpointEvery, newEpochs), initFrom, widths, bnRecalibrate, lastBatch);
    }

    /** The same run on another device and with or without the progress bar (a resumed run may move). */
    public RunConfig on(String newDevice, boolean newProgress) {
        return new RunConfig(model, dataset, dataDir, method, epochs, batchSize, lrSchedule, milestones, gamma, seed, newDevice, out,
                trainLimit, testLimit, newProgress, augment, checkpointEvery, initFrom, widths, bnRecalibrate, lastBatch);
    }

    /**
     * The {@code train} arguments that rebuild this run, every value spelled out (what a
     * checkpoint stores): everything but where it runs and writes ({@code --device},
     * {@code --out}, {@code --no-progress}), which a resumed run takes from its own command.
     */
    public List<String> toArgs() {
        List<String> a = new ArrayList<>(List.of("--model", model, "--dataset", dataset));
        if (dataDir != null) a.addAll(List.of("--data-dir", dataDir.toAbsolutePath().toString()));
        a.addAll(List.of("--method", optimizer()));
        for (Map.Entry<String, String> o : method.options().entrySet()) a.add(o.getKey() + "=" + o.getValue());
        a.addAll(List.of("--epochs", Integer.toString(epochs), "--batch-size", Integer.toString(batchSize),
                "--lr-schedule", lrSchedule, "--gamma", Double.toString(gamma), "--seed", Long.toString(seed),
                "--train-samples", Integer.toString(trainLimit), "--test-samples", Integer.toString(testLimit),
                "--checkpoint-every", Integer.toString(checkpointEvery)));
        if (milestones.length > 0) {
            a.addAll(List.of("--milestones", Arrays.stream(milestones).mapToObj(Integer::toString).collect(Collectors.joining(","))));
        }
        if (augment != null) a.addAll(List.of("--augment", augment));
        if (initFrom != null) a.addAll(List.of("--init-from", initFrom.toAbsolutePath().toString()));
        if (bnRecalibrate != null) a.addAll(List.of("--bn-recalibrate", bnRecalibrate));
        if (lastBatch != null) a.addAll(List.of("--last-batch", lastBatch));
        if (widths != null) a.addAll(List.of("--widths", Architecture.isPresetName(widths) ? widths : Path.of(widths).toAbsolutePath().toString()));
        return a;
    }
}
