package io.sparsestep.cli;

import io.sparsestep.optim.Method;
import io.sparsestep.optim.SgdSpec;

/**
 * The demo's recipe (LeNet-300-100 on synth-digits), also the defaults of {@code train}.
 * Chosen so gRDA ends at >= 90% sparsity within a tenth of a point of SGD's accuracy; see the
 * README's "Demo recipe" for how they were picked.
 */
final class Defaults {
    /** SGD's own default lr (its spec's), the default of the demo's --sgd-lr. */
    static final double SGD_LR = methodDefault(SgdSpec.METHOD, "--lr");
    static final int EPOCHS = 20;
    static final int BATCH = 128;

    private Defaults() {}

    private static double methodDefault(Method method, String option) {
        return Double.parseDouble(method.option(option).orElseThrow().defaultValue());
    }
}
