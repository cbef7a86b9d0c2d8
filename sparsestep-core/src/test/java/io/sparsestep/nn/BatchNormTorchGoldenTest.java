package io.sparsestep.nn;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.golden.TorchGolden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;

import static io.sparsestep.golden.GoldenAssertions.assertBitwise;
import static io.sparsestep.golden.GoldenAssertions.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@link BatchNorm2d} layer with its default eps and momentum, on the CPU backend,
 * against torch.nn.BatchNorm2d and BatchNorm1d (fixture batchnorm.json): outputs and running
 * statistics over two training passes (torch moves running_var with the unbiased batch
 * variance and normalises with the biased one; momentum 0.1 weighs the new batch), the
 * input, gamma and beta gradients of the second pass, and evaluation with given running
 * statistics. A [C] input is our BatchNorm1d.
 *
 * <p>Tolerance: 1e-5 of each tensor's largest magnitude. Our CPU batch norm accumulates in
 * double, torch in float32, over at most 80 values per channel here, so they differ by a
 * few float32 ulps (about 1e-7 relative). The errors worth catching are far larger: a biased
 * running variance is off by momentum/(count-1) of the variance (1.3e-3 for 80 values per
 * channel, 1.4e-2 for 8), a wrong momentum convention by most of the update.
 */
class BatchNormTorchGoldenTest {
    private static final double RTOL = 1e-5;
    private static final JsonNode GOLDEN = TorchGolden.load("batchnorm.json");
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    @ParameterizedTest
    @ValueSource(strings = {"batchnorm2d", "batchnorm1d"})
    void trainingPassesMatchTorchOutputsAndRunningStatistics(String name) {
        JsonNode c = golden(name);
        try (Rig rig = new Rig(c)) {
            assertBitwise(TorchGolden.floats(c.get("initial_running_mean")), rig.read(rig.runningMean), name + " initial running mean");
            assertBitwise(TorchGolden.floats(c.get("initial_running_var")), rig.read(rig.runningVar), name + " initial running var");
            JsonNode passes = c.get("train");
            for (int k = 0; k < passes.size(); k++) {
                JsonNode pass = passes.get(k);
                String what = name + " pass " + (k + 1);
                assertCloseToScale(TorchGolden.floats(pass.get("y")), rig.forward(pass.get("x"), true), RTOL, what + " output");
                assertCloseToScale(TorchGolden.floats(pass.get("running_mean")), rig.read(rig.runningMean), RTOL, what + " running mean");
                assertCloseToScale(TorchGolden.floats(pass.get("running_var")), rig.read(rig.runningVar), RTOL, what + " running var");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"batchnorm2d", "batchnorm1d"})
    void backwardOfTheLastPassMatchesTorch(String name) {
        JsonNode c = golden(name);
        try (Rig rig = new Rig(c)) {
            for (JsonNode pass : c.get("train")) rig.forward(pass.get("x"), true);
            JsonNode back = c.get("backward");
            float[] dx = rig.backward(back.get("dy"));
            assertCloseToScale(TorchGolden.floats(back.get("dx")), dx, RTOL, name + " input gradient");
            assertCloseToScale(TorchGolden.floats(back.get("dweight")), rig.read(rig.gamma.grad().get()), RTOL, name + " gamma gradient");
            assertCloseToScale(TorchGolden.floats(back.get("dbias")), rig.read(rig.beta.grad().get()), RTOL, name + " beta gradient");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"batchnorm2d", "batchnorm1d"})
    void evaluationWithGivenRunningStatisticsMatchesTorch(String name) {
        JsonNode c = golden(name);
        JsonNode eval = c.get("eval");
        try (Rig rig = new Rig(c)) {
            rig.upload(eval.get("running_mean"), rig.runningMean);
            rig.upload(eval.get("running_var"), rig.runningVar);
            assertCloseToScale(TorchGolden.floats(eval.get("y")), rig.forward(eval.get("x"), false), RTOL, name + " evaluation output");
            // evaluation reads the running statistics and never moves them
            assertBitwise(TorchGolden.floats(eval.get("running_var")), rig.read(rig.runningVar), name + " running var after evaluation");
        }
    }

    private static JsonNode golden(String name) {
        for (JsonNode c : GOLDEN.get("cases")) if (c.get("name").asText().equals(name)) return c;
        throw new IllegalArgumentException("no batch norm case " + name);
    }

    /** One default BatchNorm2d planned alone for the case's batch, with torch's gamma and beta. */
    private static final class Rig implements AutoCloseable {
        final BatchNorm2d layer = new BatchNorm2d("bn");
        final FlatMemory mem;
        final Slot in, dy;
        final Param gamma, beta;
        final Tensor runningMean, runningVar;

        Rig(JsonNode c) {
            assertEquals(BatchNorm2d.DEFAULT_EPS, (float) c.get("eps").doubleValue(), "torch's default eps");
            assertEquals(BatchNorm2d.DEFAULT_MOMENTUM, (float) c.get("momentum").doubleValue(), "torch's default momentum");
            Planner p = new Planner(be, c.get("batch").intValue());
            int[] sample = TorchGolden.ints(c.get("sample_shape"));
            in = p.activation(sample);
            layer.setNeedInputGrad(true);
            dy = p.activation(layer.plan(sample, p));
            mem = new FlatMemory(p, 1);
            gamma = param("bn.weight");
            beta = param("bn.bias");
            runningMean = state("bn.running_mean");
            runningVar = state("bn.running_var");
            upload(c.get("weight"), gamma.value().get());
            upload(c.get("bias"), beta.value().get());
        }

        float[] forward(JsonNode x, boolean training) {
            upload(x, in.get());
            return read(layer.forward(in.get(), training));
        }

        float[] backward(JsonNode gradient) {
            upload(gradient, dy.get());
            return read(layer.backward(dy.get()));
        }

        void upload(JsonNode values, Tensor t) {
            be.upload(MemorySegment.ofArray(TorchGolden.floats(values)), t);
        }

        float[] read(Tensor t) {
            float[] out = new float[Math.toIntExact(t.size())];
            be.download(t, MemorySegment.ofArray(out));
            return out;
        }

        private Param param(String name) {
            return mem.paramList().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
        }

        private Tensor state(String name) {
            return mem.stateList().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().value().get();
        }

        @Override
        public void close() { mem.close(); }
    }
}
