package io.sparsestep.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Options shared by {@code train} and {@code demo}; defaults are the demo's documented
 * recipe. The methods' own hyperparameters ({@code --lr}, {@code --c}, {@code --momentum},
 * ...) come from the method registry ({@link MethodOptions}).
 */
public class TrainOptions {
    @Option(names = "--dataset", description = "mnist, cifar10, cifar100, synth-digits, synth-cifar (default: ${DEFAULT-VALUE})")
    String dataset = "synth-digits";

    @Option(names = "--data-dir", description = "Folder holding the dataset files (or its parent, as extracted); mnist, cifar10 and cifar100 only")
    Path dataDir;

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

    @Option(names = "--checkpoint-every", description = "Write checkpoint.safetensors in --out every N epochs and after the last (default: ${DEFAULT-VALUE}); `sparsestep resume DIR` continues from it")
    int checkpointEvery = 1;

    @Option(names = "--init-from", description = "Start from the weights (and batch-norm statistics) of a weights.safetensors or checkpoint of the same model")
    Path initFrom;

    @Option(names = "--widths", paramLabel = "PRESET|FILE",
            description = "Train the model with other widths: a preset (vgg16-a, resnet56-a, resnet56-b: Li et al.'s pruned CIFAR "
                    + "networks) or an architecture .json (what `sparsestep shrink` writes); it names the model, so --model may be left out")
    String widths;

    @Option(names = "--bn-recalibrate", paramLabel = "off|eval|end",
            description = "Recompute the batch-norm running statistics over the training split (in order, no augmentation) for the "
                    + "weights as they are: eval = before every epoch's test evaluation, end = before the last one only (the final "
                    + "evaluation and saved weights), off = never; training is unchanged (default: eval for sdprun, off otherwise)")
    String bnRecalibrate;

    @Option(names = "--last-batch", paramLabel = "train|drop",
            description = "When the batch size does not divide the training images: train the smaller last batch of each epoch, "
                    + "or drop it (full batches only, as PyTorch's drop_last; which images are left out changes with each epoch's "
                    + "shuffle). With batch norm a last batch of a few images takes a full step on its own statistics (default: train)")
    String lastBatch;

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;
}
