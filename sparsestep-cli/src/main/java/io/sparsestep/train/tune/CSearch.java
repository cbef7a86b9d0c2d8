package io.sparsestep.train.tune;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The gRDA authors' recipe for {@code c} (ALGORITHMS.md 1.2: fix mu, then take the largest c
 * that keeps the accuracy of a few epochs) as a search: c = start, start*factor,
 * start*factor^2, ... until the first c whose validation accuracy falls more than
 * {@code tolerance} points below the reference (SGD's) or whose run fails (a diverged run
 * fails), at most {@code maxTrials} of them; then {@code refine} bisections on the log scale
 * between the last c that passed and the first that failed. The answer is the largest c that
 * passed. Accuracy is not monotone in c, so the search stops at the first failure rather than
 * looking past it; every c tried is rounded to 3 significant digits (so it prints and names a
 * folder exactly).
 */
public record CSearch(double start, double factor, int maxTrials, int refine, double tolerancePoints) {
    public CSearch {
        if (!(start > 0) || Double.isInfinite(start)) throw new IllegalArgumentException("--c-start must be > 0, got " + start);
        if (!(factor > 1) || Double.isInfinite(factor)) throw new IllegalArgumentException("--factor must be > 1, got " + factor);
        if (maxTrials < 1) throw new IllegalArgumentException("--max-trials must be >= 1, got " + maxTrials);
        if (refine < 0) throw new IllegalArgumentException("--refine must be >= 0, got " + refine);
        if (!(tolerancePoints >= 0) || Double.isInfinite(tolerancePoints)) {
            throw new IllegalArgumentException("--tolerance must be >= 0 accuracy points, got " + tolerancePoints);
        }
    }

    /** The defaults: from 1e-4 by doublings, at most 12 (up to 0.2048), two refinements, 1 point. */
    public static final CSearch DEFAULT = new CSearch(1e-4, 2, 12, 2, 1.0);

    /**
     * One c tried: its validation accuracy, sparsity of all parameters and of the conv/linear
     * weights, or the one-line reason its run failed.
     */
    public record Trial(double c, double accuracy, double sparsity, double weightSparsity, String failure) {
        public static Trial failed(double c, String reason) { return new Trial(c, Double.NaN, Double.NaN, Double.NaN, reason); }

        public boolean finished() { return failure == null; }
    }

    /** Runs one c (trains and validates it). */
    @FunctionalInterface
    public interface Trials {
        Trial run(double c);
    }

    /**
     * Every c tried in order, the one chosen (null when even {@code start} failed), and
     * whether the doublings ran out before any failed (the answer may then be larger).
     */
    public record Result(double referenceAccuracy, List<Trial> trials, Trial chosen, boolean hitLimit) {
        public Result {
            trials = List.copyOf(trials);
        }
    }

    /** Whether {@code t} keeps the accuracy: finished, and at most the tolerance below the reference. */
    public boolean passes(Trial t, double referenceAccuracy) {
        // accuracies are k/n: a small slack so that "exactly one point below" passes
        return t.finished() && t.accuracy() >= referenceAccuracy - tolerancePoints / 100.0 - 1e-12;
    }

    public Result search(double referenceAccuracy, Trials trials) {
        List<Trial> tried = new ArrayList<>();
        Trial best = null;
        Double failedAt = null;
        double c = start;
        for (int i = 0; i < maxTrials; i++) {
            Trial t = trials.run(rounded(c));
            tried.add(t);
            if (!passes(t, referenceAccuracy)) {
                failedAt = t.c();
                break;
            }
            best = t;
            c *= factor;
        }
        if (best == null) return new Result(referenceAccuracy, tried, null, false);
        if (failedAt == null) return new Result(referenceAccuracy, tried, best, true);
        double low = best.c(), high = failedAt;
        for (int i = 0; i < refine; i++) {
            double mid = rounded(Math.sqrt(low * high));
            if (mid <= low || mid >= high) break; // the 3-digit grid has no c between them
            Trial t = trials.run(mid);
            tried.add(t);
            if (passes(t, referenceAccuracy)) {
                best = t;
                low = mid;
            } else {
                high = mid;
            }
        }
        return new Result(referenceAccuracy, tried, best, false);
    }

    /** {@code c} to 3 significant digits. */
    public static double rounded(double c) {
        return new BigDecimal(c).round(new MathContext(3)).doubleValue();
    }

    /** "0.0004": c as a folder name and in tables (plain, no exponent). */
    public static String text(double c) {
        return BigDecimal.valueOf(c).stripTrailingZeros().toPlainString();
    }

    /** What the search did, in one line per setting, for logs. */
    public String describe() {
        return String.format(Locale.ROOT, "c from %s, x%s per trial (at most %d), %d refinements, tolerance %s points",
                text(start), text(factor), maxTrials, refine, text(tolerancePoints));
    }
}
