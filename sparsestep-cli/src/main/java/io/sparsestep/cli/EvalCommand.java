package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Models;
import io.sparsestep.train.WeightsEvaluation;
import io.sparsestep.train.WeightsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Test loss, accuracy and sparsity of saved weights (a weights.safetensors or checkpoint.safetensors). "
                + "Pass the data options the run was trained with: normalisation comes from the training split.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, description = "weights.safetensors or checkpoint.safetensors of a run")
    Path weights;

    @Option(names = "--model", description = "the model the weights belong to: lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K "
            + "(default: what the file's metadata says)")
    String model;

    @Option(names = "--widths", paramLabel = "PRESET|FILE", description = "the widths the weights have: a preset or an architecture .json "
            + "(default: the architecture recorded in the file, as train and shrink write it)")
    String widths;

    @Option(names = "--dataset", description = "mnist, cifar10, cifar100, synth-digits, synth-cifar (default: ${DEFAULT-VALUE})")
    String dataset = "synth-digits";

    @Option(names = "--data-dir", description = "Folder holding the dataset files (mnist, cifar10, cifar100)")
    Path dataDir;

    @Option(names = "--seed", description = "Seed the synthetic data was generated with (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--train-samples", description = "As in training: the training samples the normalisation is computed from; 0 = all (default: ${DEFAULT-VALUE})")
    int trainLimit = 0;

    @Option(names = "--test-samples", description = "Evaluate only the first N test samples; 0 = all (default: ${DEFAULT-VALUE})")
    int testLimit = 0;

    @Option(names = "--batch-size", description = "Evaluation batch size (default: ${DEFAULT-VALUE})")
    int batchSize = Defaults.BATCH;

    @Option(names = "--device", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Override
    public Integer call() {
        if (model != null) Models.requireKnown(model);
        Datasets.requireKnown(dataset);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("--train-samples and --test-samples must be >= 0 (0 = all)");
        if (!java.nio.file.Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("--weights " + weights + ": no such file; pass a weights.safetensors or checkpoint.safetensors");
        }
        WeightsFile file = WeightsFile.describe(weights, model, widths);
        TrainTest data = Datasets.load(dataset, dataDir, seed, trainLimit, testLimit);
        try (Backend backend = Backends.open(device, System.err)) {
            WeightsEvaluation.Report r = WeightsEvaluation.run(weights, file.architecture(), data, Math.min(batchSize, data.test().count()), backend);
            System.out.printf(Locale.ROOT, "%s on %s (%,d test samples): test loss %.4f, test accuracy %.4f%n", weights, dataset,
                    r.test().samples(), r.test().loss(), r.test().accuracy());
            System.out.println("sparsity: " + r.weights().describe());
            System.out.println("          " + r.allParameters().describe());
        }
        return 0;
    }
}
