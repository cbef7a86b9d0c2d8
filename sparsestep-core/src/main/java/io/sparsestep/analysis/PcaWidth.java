package io.sparsestep.analysis;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * One layer's width from the PCA of its activations (ALGORITHMS.md 9, our design [G]): the
 * eigenvalues of the activations' covariance, descending (negative rounding residue counted
 * as 0); the width is the smallest m whose top-m eigenvalues explain at least a share
 * {@code v} of the total variance (at least 1; a layer without variance keeps 1 unit).
 * The m units kept are those of largest importance {@code sum_{k<m} lambda_k |V[j][k]|}
 * (loadings on the top-m components weighted by their eigenvalues), ties by index, lowest
 * first; {@code kept} lists them in ascending order.
 */
public record PcaWidth(int units, int width, double explained, double[] eigenvalues, int[] kept) {
    public PcaWidth {
        eigenvalues = eigenvalues.clone();
        kept = kept.clone();
    }

    @Override
    public double[] eigenvalues() { return eigenvalues.clone(); }

    @Override
    public int[] kept() { return kept.clone(); }

    public static PcaWidth of(double[][] covariance, double variance) {
        if (!(variance > 0 && variance <= 1)) throw new IllegalArgumentException("--variance must be in (0, 1], got " + variance);
        SymmetricEigen.Decomposition e = SymmetricEigen.of(covariance);
        int n = covariance.length;
        double[] lambda = Arrays.stream(e.values()).map(x -> Math.max(0, x)).toArray();
        double total = Arrays.stream(lambda).sum();
        int m = 1;
        double cumulative = lambda[0];
        if (total > 0) {
            while (m < n && cumulative < variance * total) cumulative += lambda[m++];
        }
        double[] score = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < m; k++) s += lambda[k] * Math.abs(e.vectors()[k][j]);
            score[j] = s;
        }
        int[] kept = IntStream.range(0, n).boxed().sorted(Comparator.<Integer>comparingDouble(j -> -score[j]).thenComparingInt(j -> j))
                .limit(m).mapToInt(Integer::intValue).sorted().toArray();
        return new PcaWidth(n, m, total > 0 ? cumulative / total : 1, lambda, kept);
    }
}
