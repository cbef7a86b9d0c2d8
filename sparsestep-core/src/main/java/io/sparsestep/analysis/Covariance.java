package io.sparsestep.analysis;

/**
 * The sample covariance of vectors of {@code dimension} entries, accumulated one vector at a
 * time in double (sums of x and of x x^T over the upper triangle, in the order the vectors
 * come), then {@code (S2 - S1 S1^T / n) / (n - 1)}.
 */
public final class Covariance {
    private final int dimension;
    private final double[] sum;
    private final double[][] products;
    private long count;

    public Covariance(int dimension) {
        if (dimension < 1) throw new IllegalArgumentException("a covariance needs vectors of at least one entry, got " + dimension);
        this.dimension = dimension;
        this.sum = new double[dimension];
        this.products = new double[dimension][dimension];
    }

    /** Adds the vector {@code x[offset], x[offset + stride], ...} ({@code dimension} entries). */
    public void add(float[] x, int offset, int stride) {
        double[] v = new double[dimension];
        for (int i = 0; i < dimension; i++) v[i] = x[offset + i * stride];
        for (int i = 0; i < dimension; i++) {
            double vi = v[i];
            sum[i] += vi;
            double[] row = products[i];
            for (int j = i; j < dimension; j++) row[j] += vi * v[j];
        }
        count++;
    }

    public long count() { return count; }

    public int dimension() { return dimension; }

    /** The covariance matrix, symmetric; needs at least two vectors. */
    public double[][] matrix() {
        if (count < 2) throw new IllegalStateException("a sample covariance needs at least 2 vectors, got " + count);
        double[][] c = new double[dimension][dimension];
        for (int i = 0; i < dimension; i++) {
            for (int j = i; j < dimension; j++) {
                double v = (products[i][j] - sum[i] * sum[j] / count) / (count - 1);
                c[i][j] = v;
                c[j][i] = v;
            }
        }
        return c;
    }
}
