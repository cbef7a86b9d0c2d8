package io.sparsestep.train.masks;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Param;
import io.sparsestep.nn.StateTensor;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.SparsityReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run's mask read from its files: the mask.prune.* tensors where a masked method wrote them
 * (a kept weight that happens to be zero stays kept), else the nonzero conv/linear weights;
 * biases, batch norm, running statistics and optimizer buffers are never a layer; a folder is
 * its weights file, else its checkpoint; damaged or foreign files are refused in one line.
 */
class RunMaskTest {
    @TempDir
    Path dir;

    @Test
    void aMaskedRunsMaskIsItsMaskTensorsNotItsZeros() throws IOException {
        Path run = Files.createDirectories(dir.resolve("gsm"));
        write(run.resolve("weights.safetensors"), tensors(
                "fc1.weight", tensor(new int[]{2, 3}, 0.5f, 0f, 0f, -1f, 0f, 2f),
                "fc1.bias", tensor(new int[]{2}, 0f, 1f),
                "mask.prune.fc1.weight", tensor(new int[]{2, 3}, 1f, 1f, 0f, 1f, 0f, 1f)));
        RunMask m = RunMask.read(run);
        assertEquals("gsm", m.label());
        assertEquals(SparsityReport.Source.MASK, m.source());
        assertEquals(List.of("fc1.weight"), m.layers().stream().map(LayerMask::parameter).toList());
        // entry 1 is a kept weight at 0.0: the mask keeps it, the nonzero pattern would not
        assertEquals(JaccardTest.bits(0, 1, 3, 5), m.layers().getFirst().kept());
        assertEquals(4, m.kept());
        assertEquals(6, m.size());
        assertEquals(1 - 4 / 6.0, m.sparsity(), 1e-15);
        assertEquals("fc1", m.layers().getFirst().layer());
        assertEquals(List.of("fc1.weight", "fc1.bias"), List.copyOf(m.tensors().keySet()), "masks are not model tensors");
    }

    @Test
    void anUnmaskedRunsMaskIsItsNonzeroConvAndLinearWeights() throws IOException {
        Path file = dir.resolve("grda.safetensors");
        write(file, tensors(
                "conv1.weight", tensor(new int[]{1, 1, 2, 2}, 0f, -0f, 3f, Float.NaN),
                "bn1.weight", tensor(new int[]{1}, 0f),
                "bn1.running_mean", tensor(new int[]{1}, 0f),
                "fc.weight", tensor(new int[]{1, 2}, 0f, 1e-30f),
                "fc.bias", tensor(new int[]{1}, 0f),
                "optimizer.acc.fc.weight", tensor(new int[]{1, 2}, 7f, 7f)));
        RunMask m = RunMask.read(file);
        assertEquals(SparsityReport.Source.EXACT_ZEROS, m.source());
        assertEquals(List.of("conv1.weight", "fc.weight"), m.layers().stream().map(LayerMask::parameter).toList());
        // -0.0 is pruned like +0.0; NaN is not a zero; a tiny weight is kept
        assertEquals(JaccardTest.bits(2, 3), m.layers().get(0).kept());
        assertEquals(JaccardTest.bits(1), m.layers().get(1).kept());
        assertTrue(m.tensors().keySet().stream().noneMatch(n -> n.startsWith("optimizer.")), "optimizer buffers are not the model's");
    }

    @Test
    void aFolderIsItsWeightsFileElseItsCheckpoint() throws IOException {
        Path run = Files.createDirectories(dir.resolve("sgd"));
        write(run.resolve("checkpoint.safetensors"), tensors("fc.weight", tensor(new int[]{1, 2}, 1f, 0f)));
        assertEquals(run.resolve("checkpoint.safetensors"), RunMask.read(run).file());
        assertEquals("sgd (checkpoint)", RunMask.read(run.resolve("checkpoint.safetensors")).label());
        write(run.resolve("weights.safetensors"), tensors("fc.weight", tensor(new int[]{1, 2}, 1f, 1f)));
        assertEquals(run.resolve("weights.safetensors"), RunMask.read(run).file());
        assertEquals(2, RunMask.read(run).kept());
        assertEquals("sgd", RunMask.read(run.resolve("weights.safetensors")).label());
    }

    @Test
    void whatIsNoRunsMaskIsRefusedInOneLine() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertRefused(() -> RunMask.read(empty), empty + ": no weights.safetensors or checkpoint.safetensors");
        assertRefused(() -> RunMask.read(dir.resolve("absent")), "no such file or folder");
        Path half = dir.resolve("half.safetensors");
        write(half, tensors("fc.weight", tensor(new int[]{1, 2}, 1f, 0f), "mask.prune.fc.weight", tensor(new int[]{1, 2}, 1f, 0.5f)));
        assertRefused(() -> RunMask.read(half), "mask tensor 'mask.prune.fc.weight' holds 0.5 at entry 1, not 0 or 1");
        Path orphan = dir.resolve("orphan.safetensors");
        write(orphan, tensors("fc.weight", tensor(new int[]{1, 2}, 1f, 0f), "mask.prune.fc2.weight", tensor(new int[]{1}, 1f)));
        assertRefused(() -> RunMask.read(orphan), "has no parameter 'fc2.weight'");
        Path biases = dir.resolve("biases.safetensors");
        write(biases, tensors("fc.bias", tensor(new int[]{2}, 1f, 0f)));
        assertRefused(() -> RunMask.read(biases), "no conv/linear weights");
        Path text = Files.writeString(dir.resolve("notes.safetensors"), "not a tensor file");
        assertRefused(() -> RunMask.read(text), text.toString());
    }

    @Test
    void theFirstDifferenceBetweenTwoModelsIsNamed() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), c = dir.resolve("c.safetensors");
        write(a, tensors("fc1.weight", tensor(new int[]{1, 2}, 1f, 0f), "fc2.weight", tensor(new int[]{1, 1}, 1f)));
        write(b, tensors("fc1.weight", tensor(new int[]{2, 1}, 1f, 0f), "fc2.weight", tensor(new int[]{1, 1}, 1f)));
        write(c, tensors("fc1.weight", tensor(new int[]{1, 2}, 1f, 0f)));
        RunMask ma = RunMask.read(a);
        assertEquals("tensor 'fc1.weight' has shape [2, 1] in " + b + " but [1, 2] in " + a, ma.firstDifference(RunMask.read(b)).orElseThrow());
        assertEquals(c + " has no tensor 'fc2.weight', which " + a + " has", ma.firstDifference(RunMask.read(c)).orElseThrow());
        assertTrue(ma.firstDifference(RunMask.read(a)).isEmpty());
    }

    /**
     * Where no mask tensors are, the layers are picked by name and rank; in every model of
     * the zoo that is exactly what the optimizers prune ({@link ParamGroup#WEIGHTS}), and no
     * running statistic qualifies.
     */
    @Test
    void theRankRulePicksExactlyThePrunableWeightsOfEveryModel() {
        Map<String, int[]> inputs = Map.of("lenet300", new int[]{1, 28, 28}, "lenet5", new int[]{1, 28, 28}, "vgg16", new int[]{3, 32, 32},
                "resnet20", new int[]{3, 32, 32}, "resnet56", new int[]{3, 32, 32}, "wrn28-2", new int[]{3, 32, 32});
        try (CpuBackend cpu = new CpuBackend(1)) {
            for (Map.Entry<String, int[]> m : inputs.entrySet()) {
                int[] in = m.getValue();
                try (Network net = Network.build(m.getKey(), cpu, Models.create(m.getKey(), in, 10), in, 10, 2, 1)) {
                    int prunable = 0;
                    for (Param p : net.params()) {
                        assertEquals(p.group() == ParamGroup.WEIGHTS, RunMask.isConvOrLinearWeight(p.name(), p.shape()), m.getKey() + " " + p.name());
                        if (p.group() == ParamGroup.WEIGHTS) prunable++;
                    }
                    assertTrue(prunable >= 3, m.getKey() + " has " + prunable + " prunable tensors");
                    for (StateTensor s : net.memory().stateList()) {
                        assertTrue(!RunMask.isConvOrLinearWeight(s.name(), new int[]{s.size()}), m.getKey() + " " + s.name());
                    }
                }
            }
        }
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable read, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, read);
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private static final Arena ARENA = Arena.ofAuto();

    static FloatTensorData tensor(int[] shape, float... values) {
        MemorySegment data = ARENA.allocate(4L * values.length, 4);
        MemorySegment.copy(values, 0, data, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, values.length);
        return new FloatTensorData(shape, data);
    }

    /** Name, tensor, name, tensor, ...: in file order. */
    static LinkedHashMap<String, FloatTensorData> tensors(Object... nameThenTensor) {
        LinkedHashMap<String, FloatTensorData> out = new LinkedHashMap<>();
        for (int i = 0; i < nameThenTensor.length; i += 2) out.put((String) nameThenTensor[i], (FloatTensorData) nameThenTensor[i + 1]);
        return out;
    }

    static void write(Path file, LinkedHashMap<String, FloatTensorData> tensors) throws IOException {
        Safetensors.write(file, tensors, Map.of());
    }
}
