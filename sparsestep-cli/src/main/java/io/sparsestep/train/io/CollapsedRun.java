package io.sparsestep.train.io;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Tells a gRDA run that pruned itself to nothing from a result. A threshold {@code c} far too
 * large ({@code --c 1e6}) zeroes every weight within a few steps; the run then finishes
 * normally, exit 0, and only the numbers show that the network is a constant: 100% sparsity,
 * or test accuracy at chance level. The run's last line says so and what to change.
 *
 * <p><b>Chance level</b> is {@code 1/classes}: what a network that ignores its input scores by
 * always predicting one class on a balanced test set. A run is at chance when its test
 * accuracy is at most {@code 1/classes + }{@link #CHANCE_MARGIN}: always answering the most
 * frequent class of a real test set scores a little above {@code 1/classes} (MNIST's test set:
 * 11.35% for "1" against 10%), and an accuracy this close to chance at the end of a run means
 * nothing was learnt either.
 */
public final class CollapsedRun {
    /** Absolute margin above {@code 1/classes} still counted as chance (0.12 for 10 classes, 0.03 for 100). */
    public static final double CHANCE_MARGIN = 0.02;

    private CollapsedRun() {}

    /** The highest test accuracy that counts as chance level for {@code classes} classes. */
    public static double chanceThreshold(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("chance level needs at least 2 classes, got " + classes);
        }
        return 1.0 / classes + CHANCE_MARGIN;
    }

    /** Whether {@code testAccuracy} is at chance level for {@code classes} classes. */
    public static boolean atChance(double testAccuracy, int classes) {
        return testAccuracy <= chanceThreshold(classes);
    }

    /** 1000000 rather than 1000000.0 or 1.0E6: as the user would type it. */
    private static String plain(double c) {
        return new BigDecimal(Double.toString(c)).stripTrailingZeros().toPlainString();
    }

    /**
     * The warning line for a collapsed gRDA run, or empty when the run is fine or is not
     * gRDA (SGD prunes nothing; an SGD run at chance has another cause than {@code c}).
     * {@code c} is the run's {@code --c}.
     */
    public static Optional<String> warning(RunSummary run, int classes, double c) {
        if (!run.optimizer().equals("grda")) return Optional.empty();
        List<String> what = new ArrayList<>();
        if (run.sparsity() >= 1.0) {
            what.add("all prunable weights are zero (sparsity 1.0)");
        }
        if (atChance(run.testAccuracy(), classes)) {
            what.add(String.format(Locale.ROOT, "test accuracy %.4f is chance level for %d classes (<= 1/%d + %s)",
                    run.testAccuracy(), classes, classes, CHANCE_MARGIN));
        }
        if (what.isEmpty()) return Optional.empty();
        return Optional.of("warning: the gRDA run collapsed: " + String.join(" and ", what)
                + "; its threshold pruned the network away. Use a smaller --c (this run: " + plain(c) + ")");
    }
}
