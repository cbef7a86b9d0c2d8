package io.sparsestep.bench;

/** Sanity checks that make a timing invalid when they fail. */
final class TrainStepChecks {
    private TrainStepChecks() {}

    /**
     * A diverged run computes on NaN/Inf, which can take a different speed path; such a
     * timing must not be reported as if it were training.
     */
    static void requireFiniteLoss(TrainStepFixture f) {
        double loss = f.lastLoss();
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException(f.network().modelId() + " with " + f.optimizerKind().id()
                    + " diverged during the benchmark (loss " + loss + "); its timing is invalid");
        }
    }
}
