package io.sparsestep.train.io;

import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Param;
import io.sparsestep.nn.StateTensor;
import io.sparsestep.testing.WatchedBackend;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weights.safetensors of a real (short) training run of ResNet-20 on synth-cifar holds
 * every parameter and every batch-norm running statistic under its name, float32, with its
 * shape, and with the very bits the network ended with.
 *
 * <p>What the network ended with is taken from the backend the run trains on: after every
 * optimizer step (the last one follows the last training forward pass, so nothing changes
 * after it: evaluation does not move running statistics) the parameter and state buffers
 * are copied aside. Where each tensor lies in them comes from a network of the same model
 * built again, whose layout is a function of the model alone.
 */
class TrainedWeightsFileTest {
    private static final String MODEL = "resnet20";
    private static final int[] IMAGE = {3, 32, 32};
    private static final int BATCH = 4, CLASSES = 10;
    private static final long SEED = 3;

    @Test
    void theFileHoldsTheTrainedParametersAndRunningStatisticsBitForBit(@TempDir Path dir) throws IOException {
        TrainTest data = Datasets.load("synth-cifar", null, SEED, 2 * BATCH, BATCH);
        RunConfig cfg = new RunConfig(MODEL, "synth-cifar", null, new io.sparsestep.optim.SgdSpec(0.05, 0.9, 0, false, 0),
                1, BATCH, "constant", new int[0], 0.1, SEED, "cpu", dir, 2 * BATCH, BATCH, false, null, 1, null, null);
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend()) {
            FinalMemory last = new FinalMemory(cpu, arena);
            TrainingRun.execute(cfg, data, last.recordingBackend(), new PrintStream(OutputStream.nullOutputStream()), "sparsestep train");
            assertNotNull(last.params, "the run took no optimizer step");

            Path file = dir.resolve("weights.safetensors");
            Map<String, JsonNode> header = header(file);
            LinkedHashMap<String, FloatTensorData> saved = Safetensors.read(file, arena);
            try (Network layout = Network.build(MODEL, cpu, Models.create(MODEL, IMAGE, CLASSES), IMAGE, CLASSES, BATCH, SEED)) {
                List<String> expected = new ArrayList<>();
                layout.params().forEach(p -> expected.add(p.name()));
                layout.memory().stateList().forEach(s -> expected.add(s.name()));
                // ResNet-20: conv1 + bn1, 9 blocks of two convs and two batch norms, 2 projections of a conv and a batch norm, fc
                assertEquals(1 + 2 + 9 * 6 + 2 * 3 + 2, layout.params().size(), "parameter tensors");
                assertEquals(2 * (1 + 9 * 2 + 2), layout.memory().stateList().size(), "running statistics, two per batch norm");
                assertTrue(expected.containsAll(List.of("conv1.weight", "bn1.running_mean", "layer1.0.branch.conv1.weight",
                        "layer2.0.shortcut.bn.running_var", "layer3.2.branch.bn2.running_mean", "fc.bias")), expected.toString());
                assertEquals(expected, List.copyOf(saved.keySet()), "tensor names in the file, parameters then running statistics");

                for (Param p : layout.params()) {
                    assertTensor(header, saved, p.name(), p.shape(), last.params, p.value().get());
                }
                for (StateTensor s : layout.memory().stateList()) {
                    assertTensor(header, saved, s.name(), new int[]{s.size()}, last.states, s.value().get());
                    float initial = s.initial();
                    float[] values = floats(saved.get(s.name()).data());
                    assertFalse(allEqual(values, initial), s.name() + " still holds its initial " + initial + " everywhere");
                }
            }
        }
    }

    private static void assertTensor(Map<String, JsonNode> header, Map<String, FloatTensorData> saved, String name, int[] shape,
                                     MemorySegment finalBuffer, Tensor where) {
        assertEquals("F32", header.get(name).get("dtype").asText(), name + " dtype");
        assertArrayEquals(shape, saved.get(name).shape(), name + " shape");
        float[] inNetwork = new float[Math.toIntExact(where.size())];
        MemorySegment.copy(finalBuffer, ValueLayout.JAVA_FLOAT, 4 * where.offset(), inNetwork, 0, inNetwork.length);
        assertArrayEquals(rawBits(inNetwork), rawBits(floats(saved.get(name).data())), name + ": the file's values are not the network's");
    }

    /** The JSON header of a safetensors file: its tensors by name (metadata left out). */
    private static Map<String, JsonNode> header(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode root = new ObjectMapper().readTree(Arrays.copyOfRange(bytes, 8, Math.toIntExact(8 + length)));
        Map<String, JsonNode> tensors = new LinkedHashMap<>();
        root.properties().forEach(e -> {
            if (!e.getKey().equals("__metadata__")) tensors.put(e.getKey(), e.getValue());
        });
        return tensors;
    }

    private static float[] floats(MemorySegment data) {
        return data.toArray(ValueLayout.JAVA_FLOAT);
    }

    private static int[] rawBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }

    private static boolean allEqual(float[] values, float v) {
        for (float x : values) if (x != v) return false;
        return true;
    }

    /** The parameter and state buffers of the network a run trains, as they were after its last optimizer step. */
    private static final class FinalMemory {
        private final CpuBackend cpu;
        private final Arena arena;
        private Buffer paramsBuffer, statesBuffer;
        MemorySegment params, states;

        FinalMemory(CpuBackend cpu, Arena arena) {
            this.cpu = cpu;
            this.arena = arena;
        }

        /** {@code cpu}, noting which buffers are "params" and "states" and copying both after every optimizer step. */
        Backend recordingBackend() {
            return WatchedBackend.of(cpu, (method, args, call) -> {
                Object result = call.proceed();
                switch (method.getName()) {
                    case "allocate" -> {
                        if (args[1].equals("params")) paramsBuffer = (Buffer) result;
                        if (args[1].equals("states")) statesBuffer = (Buffer) result;
                    }
                    case "sgd", "grda" -> { // the optimizer steps, StepOps
                        params = copy(paramsBuffer);
                        states = copy(statesBuffer);
                    }
                    default -> { }
                }
                return result;
            });
        }

        private MemorySegment copy(Buffer b) {
            MemorySegment host = arena.allocate(4 * b.words(), 64);
            cpu.download(new Tensor(b, 0, Math.toIntExact(b.words())), host);
            return host;
        }
    }
}
