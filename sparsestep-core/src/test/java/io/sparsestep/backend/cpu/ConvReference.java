package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;

/**
 * The three convolution passes as naive double loops over every multiply, the reference
 * the CPU convolution tests compare against.
 */
final class ConvReference {
    private ConvReference() {
    }

    /** Calls visit(xIndex, wIndex, yIndex) for every multiply of the convolution. */
    private interface Visit {
        void at(int xi, int wi, int yi);
    }

    private static void forEachTerm(ConvGeometry g, Visit v) {
        int oh = g.outH(), ow = g.outW();
        for (int i = 0; i < g.n(); i++)
            for (int k = 0; k < g.k(); k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                        for (int c = 0; c < g.c(); c++)
                            for (int r = 0; r < g.r(); r++)
                                for (int s = 0; s < g.s(); s++) {
                                    int ih = y * g.strideH() - g.padH() + r, iw = x * g.strideW() - g.padW() + s;
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    v.at(((i * g.c() + c) * g.h() + ih) * g.w() + iw,
                                            ((k * g.c() + c) * g.r() + r) * g.s() + s,
                                            ((i * g.k() + k) * oh + y) * ow + x);
                                }
    }

    static double[] forward(ConvGeometry g, float[] x, float[] w) {
        double[] y = new double[(int) g.outputSize()];
        forEachTerm(g, (xi, wi, yi) -> y[yi] += (double) x[xi] * w[wi]);
        return y;
    }

    static double[] backwardData(ConvGeometry g, float[] dy, float[] w) {
        double[] dx = new double[(int) g.inputSize()];
        forEachTerm(g, (xi, wi, yi) -> dx[xi] += (double) dy[yi] * w[wi]);
        return dx;
    }

    static double[] backwardFilter(ConvGeometry g, float[] x, float[] dy) {
        double[] dw = new double[(int) g.filterSize()];
        forEachTerm(g, (xi, wi, yi) -> dw[wi] += (double) dy[yi] * x[xi]);
        return dw;
    }
}
