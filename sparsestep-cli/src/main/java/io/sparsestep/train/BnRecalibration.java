package io.sparsestep.train;

import io.sparsestep.optim.MethodSpec;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code --bn-recalibrate}: when a run replaces its batch-norm running statistics with ones
 * recomputed over the training split for the weights as they are
 * ({@code analysis.BatchNormStatistics.recompute}: reset, then one training-mode pass over the
 * training images in order, no augmentation, each statistic the sample-weighted average of the
 * batches'). {@link #EVAL}: before every epoch's test evaluation; {@link #END}: before the last
 * epoch's only, so the final evaluation and the saved weights use them; {@link #OFF}: never.
 * The recomputed statistics replace the running ones (checkpoints and weights.safetensors
 * hold them). Training itself is unchanged either way: training-mode batch norm normalises with
 * the batch's statistics and no optimizer reads the running ones, so the weights of a run are
 * the same bits with any setting; only evaluations and the stored statistics differ.
 *
 * <p>The default is the method's ({@link MethodSpec#bnRecalibrateDefault}), our choice ([G]):
 * {@link #EVAL} for sDprun, whose zeroed filters leave running variances of about 1e-12 that the
 * eval-mode forward divides by sqrt(eps), so a filter that revives is amplified until they catch
 * up (docs/EXPERIMENTS.md, "Structured pruning on ResNet-20": test loss 3109 with the running
 * statistics, 2.13 recomputed); {@link #OFF} for every other method, so their results stay what
 * they were. A model without batch norm has nothing to recompute: its effective setting is off.
 */
public enum BnRecalibration {
    OFF, EVAL, END;

    /** The spelling on the command line and in summary.json. */
    public String option() { return name().toLowerCase(Locale.ROOT); }

    /** The setting for {@code given} ({@code --bn-recalibrate} as typed, null when left out) and the run's method. */
    public static BnRecalibration resolve(String given, MethodSpec method) {
        return resolve(given, method.bnRecalibrateDefault());
    }

    /** The setting for {@code given} (null when left out: {@code methodDefault}, a method's declared spelling). */
    static BnRecalibration resolve(String given, String methodDefault) {
        String option = given == null ? methodDefault : given;
        for (BnRecalibration b : values()) if (b.option().equals(option)) return b;
        throw new IllegalArgumentException("--bn-recalibrate " + option + (given == null ? " (the method's default)" : "") + " is not one of "
                + Arrays.stream(values()).map(BnRecalibration::option).collect(Collectors.joining(", ")));
    }

    /** Whether the statistics are recomputed before epoch {@code epoch}'s evaluation in a run of {@code epochs}. */
    public boolean before(int epoch, int epochs) {
        return this == EVAL || (this == END && epoch == epochs);
    }
}
