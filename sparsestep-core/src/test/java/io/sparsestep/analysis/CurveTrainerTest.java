package io.sparsestep.analysis;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.nn.Flatten;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.ReLU;
import io.sparsestep.nn.Sequential;
import io.sparsestep.params.ParamBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The curve: Garipov's learning-rate factors by hand, the Bezier curve's untrained start being
 * the segment's midpoint and its ends the endpoints bit for bit, and training moving theta
 * but never a or b while the loss at the sampled t falls.
 */
class CurveTrainerTest {
    @Test
    void garipovsScheduleHoldsThenFallsLinearlyToOnePercent() {
        // 10 epochs: alpha = e/10; 1 up to 0.5, 1 - (alpha - 0.5)/0.4 * 0.99 up to 0.9, then 0.01
        assertEquals(1.0, CurveTrainer.lrFactor(0, 10), 0);
        assertEquals(1.0, CurveTrainer.lrFactor(5, 10), 0);
        assertEquals(1 - 0.1 / 0.4 * 0.99, CurveTrainer.lrFactor(6, 10), 1e-15);
        assertEquals(0.01, CurveTrainer.lrFactor(9, 10), 1e-15);
        assertEquals(0.01, CurveTrainer.lrFactor(199, 200), 0);
    }

    @Test
    void trainingMovesOnlyTheMiddlePointAndLowersTheLossAlongTheCurve() {
        int[] shape = {1, 2, 3};
        DatasetSplit split = Fixtures.split("curve", 64, shape, 3, 4);
        try (CpuBackend be = new CpuBackend(2);
             Network net = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc1", 8), new ReLU("relu"),
                     new Linear("fc2", 3)), split, 16, 1);
             ParamBuffer a = net.paramSpace().allocateLike("a");
             ParamBuffer b = net.paramSpace().allocateLike("b");
             ParamBuffer point = net.paramSpace().allocateLike("point")) {
            a.copyFrom(net.paramSpace().values());
            // b: other random weights (another network's draw)
            try (Network other = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc1", 8), new ReLU("relu"),
                    new Linear("fc2", 3)), split, 16, 2)) {
                b.fromHost(other.paramSpace().values().toHost());
            }
            float[] ha = a.toHost(), hb = b.toHost();
            try (BezierCurve curve = new BezierCurve(a, b)) {
                float[] theta = curve.theta().values().toHost();
                for (int i = 0; i < theta.length; i++) assertEquals(0.5f * ha[i] + 0.5f * hb[i], theta[i], 0, "theta starts at the midpoint");
                curve.pointInto(0, point);
                assertArrayEquals(ha, point.toHost(), "t = 0 is a");
                curve.pointInto(1, point);
                assertArrayEquals(hb, point.toHost(), "t = 1 is b");
                new WeightPath.StraightLine(a, b).pointInto(1, point);
                assertArrayEquals(hb, point.toHost(), "the line's t = 1 is b");

                BatchLoader train = new BatchLoader(split, 16, true, false, 1, Normalization.of(split));
                List<CurveTrainer.Epoch> epochs = CurveTrainer.train(net, curve, train, new CurveTrainer.Settings(30, 0.1, 0.9, 3), _ -> {});
                assertEquals(30, epochs.size());
                assertTrue(epochs.getLast().meanLoss() < 0.8 * epochs.getFirst().meanLoss(), epochs.getFirst() + " -> " + epochs.getLast());
                assertEquals(0.001, epochs.getLast().lr(), 1e-12, "lr 0.1 times the last epoch's 0.01");
                assertArrayEquals(ha, a.toHost(), "a never moves");
                assertArrayEquals(hb, b.toHost(), "b never moves");
                float[] trained = curve.theta().values().toHost();
                boolean moved = false;
                for (int i = 0; i < theta.length; i++) moved |= trained[i] != theta[i];
                assertTrue(moved, "theta was trained");
            }
        }
    }
}
