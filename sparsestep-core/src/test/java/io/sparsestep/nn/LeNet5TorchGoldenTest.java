package io.sparsestep.nn;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.golden.TorchGolden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sparsestep.golden.GoldenAssertions.assertCloseToScale;
import static io.sparsestep.golden.GoldenAssertions.assertMatchesRecord;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LeNet-5 as {@code Models.create("lenet5", ...)} builds it, on the CPU backend, against the
 * same network in torch (fixture lenet5.json): the weights (generated, under our parameter
 * names) and a batch of three 1x28x28 inputs go in; logits, the mean cross-entropy loss and
 * every parameter gradient come out and are compared.
 *
 * <p>Tolerance: 1e-4 of each tensor's largest magnitude. Both sides sum in float32 in
 * different orders (im2col GEMM here, torch's own kernels there), so bitwise equality is not
 * expected; the fixture records how far torch's float32 results are from its float64 ones
 * (under 1e-6 of the largest magnitude for every tensor), and this test checks the
 * tolerance stays 100 times above that. Any real error (a wrong flatten order, a loss summed
 * instead of averaged, a misrouted max) moves values by percent, not by 1e-4. The script
 * picked the input so no ReLU input and no max-pool runner-up sits within 1e-5 of a kink,
 * so rounding cannot flip a branch between the two implementations.
 */
class LeNet5TorchGoldenTest {
    private static final double RTOL = 1e-4;
    private static final JsonNode GOLDEN = TorchGolden.load("lenet5.json");
    private static Backend be;
    private static Network net;
    private static float[] logits;
    private static float lossSum;
    private static final Map<String, float[]> grads = new LinkedHashMap<>();

    @BeforeAll
    static void runTorchsBatch() {
        be = new CpuBackend();
        int[] sample = TorchGolden.ints(GOLDEN.get("sample_shape"));
        int classes = GOLDEN.get("classes").intValue(), batch = GOLDEN.get("batch").intValue();
        net = Network.build("lenet5", be, Models.create("lenet5", sample, classes), sample, classes, batch, 1);
        for (Param p : net.params()) {
            JsonNode spec = GOLDEN.get("params").get(p.name());
            // one torch lacks, or has in another shape, keeps its init: parametersHaveTorchsNamesAndShapes names it
            if (spec != null && Arrays.equals(p.shape(), TorchGolden.ints(spec.get("shape")))) {
                be.upload(MemorySegment.ofArray(TorchGolden.tensor(spec)), p.value().get());
            }
        }
        be.upload(MemorySegment.ofArray(TorchGolden.tensor(GOLDEN.get("input"))), net.input(batch));
        int[] labels = TorchGolden.ints(GOLDEN.get("labels"));
        float[] labelFloats = new float[labels.length];
        for (int i = 0; i < labels.length; i++) labelFloats[i] = labels[i];
        be.upload(MemorySegment.ofArray(labelFloats), net.labels(batch));

        logits = read(net.forward(batch, true));
        net.trainStep(batch);
        lossSum = net.readLossAndCorrect(new float[2])[0];
        for (Param p : net.params()) grads.put(p.name(), read(p.grad().get()));
    }

    @AfterAll
    static void close() {
        net.close();
        be.close();
    }

    @Test
    void parametersHaveTorchsNamesAndShapes() {
        Map<String, List<Integer>> ours = new LinkedHashMap<>(), torchs = new LinkedHashMap<>();
        for (Param p : net.params()) ours.put(p.name(), Arrays.stream(p.shape()).boxed().toList());
        GOLDEN.get("params").properties().forEach(e ->
                torchs.put(e.getKey(), Arrays.stream(TorchGolden.ints(e.getValue().get("shape"))).boxed().toList()));
        assertEquals(torchs, ours, "parameter names and shapes, in order");
    }

    @Test
    void logitsMatchTorch() {
        JsonNode expected = GOLDEN.get("logits");
        assertArrayEquals(TorchGolden.ints(expected.get("shape")), new int[]{GOLDEN.get("batch").intValue(), GOLDEN.get("classes").intValue()});
        assertCloseToScale(TorchGolden.floats(expected.get("data")), logits, RTOL, "logits");
    }

    /** The network reports the summed loss; its gradient is of the mean, which torch's reduction='mean' is. */
    @Test
    void meanLossMatchesTorch() {
        double mean = lossSum / GOLDEN.get("batch").intValue();
        double torch = GOLDEN.get("loss").doubleValue();
        assertEquals(torch, mean, RTOL * Math.abs(torch), "mean cross-entropy loss");
    }

    @Test
    void everyParameterGradientMatchesTorch() {
        List<Executable> checks = new ArrayList<>();
        GOLDEN.get("grads").properties().forEach(e -> checks.add(() ->
                assertMatchesRecord(e.getValue(), grads.get(e.getKey()), RTOL, e.getKey() + " gradient")));
        assertEquals(net.params().size(), checks.size(), "the fixture has a gradient for every parameter");
        assertAll(checks);
    }

    /** The tolerance is only meaningful well above torch's own float32 rounding. */
    @Test
    void toleranceIsFarAboveFloat32Rounding() {
        GOLDEN.get("float32_vs_float64").properties().forEach(e ->
                assertTrue(e.getValue().doubleValue() * 100 <= RTOL, e.getKey() + ": torch float32 vs float64 " + e.getValue()));
    }

    private static float[] read(Tensor t) {
        float[] out = new float[Math.toIntExact(t.size())];
        be.download(t, MemorySegment.ofArray(out));
        return out;
    }
}
