package io.sparsestep.cli;

/**
 * The demo's recipe (LeNet-300-100 on synth-digits), also the defaults of {@code train}.
 * Chosen so gRDA ends at >= 90% sparsity within one point of SGD's accuracy; see the
 * README's "Demo recipe" for how they were picked.
 */
final class Defaults {
    static final double GRDA_LR = 0.1;
    static final double SGD_LR = 0.01;
    static final double GRDA_C = 0.01;
    static final double GRDA_MU = 0.6;
    static final int EPOCHS = 20;
    static final int BATCH = 128;

    private Defaults() {}
}
