package io.sparsestep.train.retrain;

/**
 * What {@code retrain}'s command line overrides of the recipe; null takes the default of
 * the mode (see {@link RetrainPlan}). {@code epochs} is finetune's epoch count,
 * {@code baseEpochs} the large model's E that the scratch modes start from.
 */
public record RetrainOptions(Integer epochs, Integer baseEpochs, Double lr, Double momentum, Double weightDecay, Integer batchSize,
                             Long initSeed, Integer checkpointEvery, String device, boolean progress) {
    /** Nothing overridden, on {@code device}. */
    public static RetrainOptions defaults(String device) {
        return new RetrainOptions(null, null, null, null, null, null, null, null, device, false);
    }
}
