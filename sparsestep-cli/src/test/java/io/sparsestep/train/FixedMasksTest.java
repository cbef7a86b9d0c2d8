package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.cli.Main;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.FixedMaskSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.TrainingPlan;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start of a fixed-mask run as {@link TrainingRun} makes it (weights from --init-from,
 * then {@link FixedMasks#loadInto}): the pruned run's weights bit for bit, its mask exactly;
 * a mask of another model is refused before anything is built.
 */
class FixedMasksTest {
    @TempDir
    static Path dir;
    private static Path weights;

    @BeforeAll
    static void prune() {
        Path run = dir.resolve("pruned");
        int code = Main.execute("train", "--model", "lenet300", "--method", "magnitude", "--sparsity", "0.7", "--prune-epoch", "0", "--epochs", "1",
                "--train-samples", "200", "--test-samples", "100", "--device", "cpu", "--no-progress", "--out", run.toString());
        assertEquals(0, code);
        weights = run.resolve("weights.safetensors");
    }

    private static RunConfig config(String model, Path maskFrom) {
        FixedMaskSpec spec = (FixedMaskSpec) Methods.parse("fixed-mask", Map.of("--mask-from", maskFrom.toString()));
        return new RunConfig(model, "synth-digits", null, spec, 1, 50, "constant", new int[0], 0.1, 3, "cpu", dir.resolve("out"), 200, 100,
                false, null, 1, maskFrom, null);
    }

    @Test
    void aFineTuneStartsFromThePrunedWeightsBitForBitUnderTheirMask() throws IOException {
        RunConfig cfg = config("lenet300", weights);
        int[] input = {1, 28, 28};
        try (CpuBackend be = new CpuBackend(1); Arena arena = Arena.ofConfined();
             Network net = Network.build("lenet300", be, Models.create(Architecture.defaults("lenet300"), input, 10), input, 10, 50, 3)) {
            NetworkTensors.loadFile(net, cfg.initFrom(), "--init-from");
            try (Optimizer opt = cfg.method().build(net.paramSpace(), new TrainingPlan(1, 4, 3))) {
                FixedMasks.loadInto(cfg, net, opt);
                LinkedHashMap<String, FloatTensorData> file = Safetensors.read(weights, arena);
                LinkedHashMap<String, FloatTensorData> now = NetworkTensors.of(net, arena);
                long zeros = 0;
                for (Map.Entry<String, FloatTensorData> t : now.entrySet()) {
                    FloatTensorData f = file.get(t.getKey());
                    for (long i = 0; i < t.getValue().elements(); i++) {
                        int a = Float.floatToRawIntBits(f.data().getAtIndex(ValueLayout.JAVA_FLOAT, i));
                        assertEquals(a, Float.floatToRawIntBits(t.getValue().data().getAtIndex(ValueLayout.JAVA_FLOAT, i)), t.getKey() + "[" + i + "]");
                        if (a == 0) zeros++;
                    }
                }
                byte[] mask = opt.pruningMask().orElseThrow().toHost();
                int at = 0;
                long pruned = 0;
                for (String name : new String[] {"fc1.weight", "fc2.weight", "fc3.weight"}) {
                    FloatTensorData m = file.get("mask.prune." + name);
                    for (long i = 0; i < m.elements(); i++, at++) {
                        assertEquals(m.data().getAtIndex(ValueLayout.JAVA_FLOAT, i), mask[at], name + " mask entry " + i);
                        if (mask[at] == 0) pruned++;
                    }
                }
                assertEquals(mask.length, at, "the mask covers the conv/linear weights exactly");
                assertEquals(Math.rint(0.7 * 266_200), pruned, "torch's count: round_half_even(0.7 * n) pruned");
                assertTrue(zeros >= pruned, "every pruned weight is +0.0 in the file and in the network");
            }
        }
    }

    @Test
    void aMaskOfAnotherModelIsRefusedBeforeTraining() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingRun.check(config("lenet5", weights)));
        assertTrue(e.getMessage().startsWith("--mask-from " + weights), e.getMessage());
        assertTrue(e.getMessage().contains("is it a mask of another model"), e.getMessage());
    }
}
