package io.sparsestep.analysis;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The connections of one kept unit ("(Pen-)Ultimate DNN Pruning", ALGORITHMS.md 9, our
 * design [G]): the relative importance of its incoming connection i is
 * {@code r_i = |w_i| E|a_i| / sum_k |w_k| E|a_k|}; sorted ascending, the connections whose
 * cumulative importance (their own included) stays strictly below {@code 1 - v} are pruned,
 * so the kept ones carry at least a share {@code v} of the unit's importance. Ties: equal
 * importances in index order, the lower index pruned first. A unit whose importances are all
 * 0 (no input ever active, or all weights 0) keeps every connection: nothing ranks them.
 * Sums in double, in sorted order.
 */
public final class ConnectionPruning {
    private ConnectionPruning() {}

    /** Which of the connections {@code weights} (with their inputs' mean absolute activations) stay, for variance share {@code v}. */
    public static boolean[] keep(float[] weights, double[] inputMeanAbs, double v) {
        if (weights.length != inputMeanAbs.length) {
            throw new IllegalArgumentException(weights.length + " weights but " + inputMeanAbs.length + " input activations");
        }
        if (!(v > 0 && v <= 1)) throw new IllegalArgumentException("the variance share must be in (0, 1], got " + v);
        int n = weights.length;
        double[] importance = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            importance[i] = Math.abs((double) weights[i]) * inputMeanAbs[i];
            total += importance[i];
        }
        boolean[] keep = new boolean[n];
        Arrays.fill(keep, true);
        if (!(total > 0)) return keep;
        int[] order = IntStream.range(0, n).boxed().sorted(Comparator.<Integer>comparingDouble(i -> importance[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        double cumulative = 0;
        for (int i : order) {
            cumulative += importance[i] / total;
            if (!(cumulative < 1 - v)) break;
            keep[i] = false;
        }
        return keep;
    }
}
