package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every layer's backward pass against central finite differences of its forward pass. */
class LayerGradientTest {
    private static Backend be;
    private static final double EPS = 1e-2, TOL = 2e-2;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    private static void check(Layer l, int[] in, int batch, boolean training) {
        new GradientCheck(be, l, in, batch, training, 42).run(24, EPS, TOL);
    }

    /** Deep compositions (conv, batch norm, ReLU) shift many activations at once: a smaller step meets fewer kinks. */
    private static void checkFine(Layer l, int[] in, int batch) {
        new GradientCheck(be, l, in, batch, true, 42).run(24, 1e-3, TOL);
    }

    @Test
    void linear() { check(new Linear("fc", 7), new int[]{13}, 3, true); }

    @Test
    void linearFlattensItsInput() { check(new Linear("fc", 5), new int[]{2, 3, 3}, 2, true); }

    @Test
    void conv3x3Padded() { check(new Conv2d("conv", 4, 3, 1, 1, true), new int[]{3, 7, 6}, 2, true); }

    /** 256 channels in and out on a 4x4 map: all three passes run as CpuWinogradConvolution's F(2x2, 3x3). */
    @Test
    void conv3x3OnTheWinogradPath() { check(new Conv2d("conv", 256, 3, 1, 1, false), new int[]{256, 4, 4}, 2, true); }

    @Test
    void conv5x5Strided() { check(new Conv2d("conv", 3, 5, 2, 2, false), new int[]{2, 9, 9}, 2, true); }

    @Test
    void conv1x1Projection() { check(new Conv2d("conv", 5, 1, 2, 0, false), new int[]{3, 6, 6}, 3, true); }

    @Test
    void batchNormTraining() { check(new BatchNorm2d("bn"), new int[]{3, 4, 5}, 4, true); }

    @Test
    void batchNorm1d() { check(new BatchNorm2d("bn"), new int[]{6}, 5, true); }

    @Test
    void relu() { check(new ReLU("relu"), new int[]{3, 5, 5}, 2, true); }

    @Test
    void maxPool() { check(Pool2d.max("pool", 2, 2), new int[]{3, 6, 7}, 2, true); }

    @Test
    void averagePoolPadded() { check(Pool2d.average("pool", 3, 2, 1), new int[]{2, 7, 7}, 2, true); }

    @Test
    void globalAveragePool() { check(Pool2d.globalAverage("gap"), new int[]{4, 5, 3}, 3, true); }

    @Test
    void flatten() { check(new Sequential("s", new Flatten("f"), new Linear("fc", 3)), new int[]{2, 3, 2}, 2, true); }

    @Test
    void residualIdentity() {
        Layer branch = new Sequential("branch", new Conv2d("c1", 3, 3, 1, 1, false), new BatchNorm2d("bn"),
                new ReLU("r"), new Conv2d("c2", 3, 3, 1, 1, true));
        checkFine(new Residual("res", branch, null, true), new int[]{3, 5, 5}, 2);
    }

    @Test
    void residualProjection() {
        Layer branch = new Sequential("branch", new Conv2d("c1", 4, 3, 2, 1, false), new ReLU("r"),
                new Conv2d("c2", 4, 3, 1, 1, false));
        Layer shortcut = new Sequential("shortcut", new Conv2d("proj", 4, 1, 2, 0, false), new BatchNorm2d("bn"));
        checkFine(new Residual("res", branch, shortcut, false), new int[]{2, 6, 6}, 3);
    }
}
