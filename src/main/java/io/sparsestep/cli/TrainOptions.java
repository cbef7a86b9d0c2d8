package io.sparsestep.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code train} and {@code demo}; defaults are the demo's documented recipe. */
public class TrainOptions {
    @Option(names = "--dataset", description = "mnist, cifar10, cifar100, synth-digits, synth-cifar (default: ${DEFAULT-VALUE})")
    String dataset = "synth-digits";

    @Option(names = "--data-dir", description = "Folder holding the dataset files (or its parent, as extracted); mnist, cifar10 and cifar100 only")
    Path dataDir;

    @Option(names = "--lr", description = "Base learning rate (default: gRDA " + Defaults.GRDA_LR + ", SGD " + Defaults.SGD_LR + ")")
    Double lr;

    @Option(names = "--momentum", description = "SGD momentum in [0,1) (default: ${DEFAULT-VALUE})")
    double momentum = 0.9;

    @Option(names = "--dampening", description = "SGD dampening in [0,1] (default: ${DEFAULT-VALUE})")
    double dampening = 0;

    @Option(names = "--nesterov", description = "SGD with Nesterov momentum (needs momentum > 0 and dampening 0)")
    boolean nesterov;

    @Option(names = "--weight-decay", description = "SGD weight decay >= 0 (default: ${DEFAULT-VALUE})")
    double weightDecay = 0;

    @Option(names = "--c", description = "gRDA threshold scale c >= 0 (default: ${DEFAULT-VALUE})")
    double c = Defaults.GRDA_C;

    @Option(names = "--mu", description = "gRDA threshold exponent, 0 < mu < 1 (theory: mu > 0.5) (default: ${DEFAULT-VALUE})")
    double mu = Defaults.GRDA_MU;

    @Option(names = "--bias-bn-c", description = "gRDA c for biases and batch norm (default: 0, i.e. not pruned)")
    double biasNormC = 0;

    @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE})")
    int epochs = Defaults.EPOCHS;

    @Option(names = "--batch-size", description = "Batch size; one larger than the data is cut to the larger split (default: ${DEFAULT-VALUE})")
    int batchSize = Defaults.BATCH;

    @Option(names = "--lr-schedule", description = "constant, step or cosine (default: ${DEFAULT-VALUE})")
    String lrSchedule = "constant";

    @Option(names = "--milestones", split = ",", description = "Step schedule only: epoch counts after which lr is multiplied by --gamma, increasing, each in 1..epochs-1 (default: half and three quarters of --epochs)")
    int[] milestones = new int[0];

    @Option(names = "--gamma", description = "Step schedule factor > 0 (default: ${DEFAULT-VALUE})")
    double gamma = 0.1;

    @Option(names = "--seed", description = "Seed for weights, data order and synthetic data (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--device", description = "auto, cpu, cuda (GPU 0) or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--train-samples", description = "Use only the first N training samples (synthetic: generate N); 0 = all (default: ${DEFAULT-VALUE})")
    int trainLimit = 0;

    @Option(names = "--test-samples", description = "Use only the first N test samples; 0 = all (default: ${DEFAULT-VALUE})")
    int testLimit = 0;

    @Option(names = "--augment", description = "Training images: none, or crop-flip (pad 4, random crop, random mirror) "
            + "(default: crop-flip for 3-channel data, none otherwise)")
    String augment;

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;
}
