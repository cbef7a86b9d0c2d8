package io.sparsestep.store;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.ParamBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint holds and gives back everything: weights, batch-norm statistics, optimizer
 * buffers and scalars, the position and the rows; and refuses, in one line naming the
 * file, a weights file, another model's checkpoint, another format version and damaged
 * metadata.
 */
class CheckpointTest {
    private static final int[] SHAPE = {3, 32, 32};

    @Test
    void everythingComesBackBitForBit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        LinkedHashMap<String, Double> layers = new LinkedHashMap<>(Map.of("conv1", 0.25));
        List<EpochRow> rows = List.of(new EpochRow(1, 0.1, 2.5, 0.1, 2.4, 0.125, 0.25, 3.5, layers),
                new EpochRow(2, 0.010000000000000002, 2.25, 0.2, 2.2, 0.25, 0.5, 3.25, layers));
        RunPosition position = new RunPosition(2, 17, rows);
        float[] params, states, acc;
        Map<String, Double> scalars;
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 1); Optimizer opt = grda(net)) {
            randomise(net, opt);
            opt.restoreScalars(Map.of("step", 17.0, "tau.weights", 0.0123456789012345, "tau.bias_bn", 0.0));
            Checkpoint.write(file, net, opt, position, new Checkpoint.RunIdentity("0.1.0", "resnet20", "synth-cifar",
                    List.of("--model", "resnet20", "--epochs", "3")));
            params = net.paramSpace().values().toHost();
            states = statesOf(net);
            acc = opt.state().buffers().get("acc").toHost();
            scalars = opt.state().scalars();
        }
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 99); Optimizer opt = grda(net); Arena arena = Arena.ofConfined()) {
            Checkpoint c = Checkpoint.read(file, arena);
            c.restoreInto(net, opt);
            assertSameBits(params, net.paramSpace().values().toHost(), "parameters");
            assertSameBits(states, statesOf(net), "batch-norm running statistics");
            assertSameBits(acc, opt.state().buffers().get("acc").toHost(), "gRDA accumulator");
            assertEquals(scalars, opt.state().scalars());
            assertEquals(position, c.position());
            assertEquals(List.of("--model", "resnet20", "--epochs", "3"), c.args());
            assertEquals("grda", c.method());
        }
    }

    @Test
    void foreignOldAndDamagedFilesAreRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path weights = dir.resolve("weights.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> one = new LinkedHashMap<>();
            one.put("x", new FloatTensorData(new int[] {1}, arena.allocate(4)));
            Safetensors.write(weights, one, Map.of("format", "sparsestep"));
            assertRefused(weights, arena, "not a sparsestep checkpoint");
            Path old = dir.resolve("old.safetensors");
            Safetensors.write(old, one, Map.of("format", Checkpoint.FORMAT, "format_version", "0", "sparsestep_version", "0.0.1"));
            assertRefused(old, arena, "format version '0'");
            Path damaged = dir.resolve("damaged.safetensors");
            Safetensors.write(damaged, one, Map.of("format", Checkpoint.FORMAT, "format_version", Checkpoint.VERSION,
                    "epochs_done", "two", "global_step", "3", "rows", "[]", "config", "[]"));
            assertRefused(damaged, arena, "'epochs_done' is 'two', not a whole number");
            assertRefused(dir.resolve("absent.safetensors"), arena, "no checkpoint at");
        }
        Path other = dir.resolve("lenet.safetensors");
        try (CpuBackend be = new CpuBackend(1); Network lenet = Network.build("lenet5", be, Models.create("lenet5", SHAPE, 10), SHAPE, 10, 4, 1);
             Optimizer opt = Methods.parse("grda", Map.of()).build(lenet.paramSpace())) {
            Checkpoint.write(other, lenet, opt, RunPosition.START, new Checkpoint.RunIdentity("0.1.0", "lenet5", "synth-cifar", List.of()));
        }
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 1); Optimizer opt = grda(net); Arena arena = Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(other, arena).restoreInto(net, opt));
            assertTrue(e.getMessage().startsWith(other + ": ") && e.getMessage().contains("another model"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    /** A masked method's mask is part of its state: it comes back from a checkpoint byte for byte. */
    @Test
    void aMaskedMethodsMaskComesBack(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        byte[] written;
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 1); MaskedGrda opt = new MaskedGrda(grda(net), net)) {
            randomise(net, opt);
            opt.mask.keepAbove(net.paramSpace().values(), 0.8f);
            written = opt.mask.toHost();
            assertTrue(opt.mask.kept() > 0 && opt.mask.kept() < opt.mask.size(), "a mask that keeps some");
            Checkpoint.write(file, net, opt, RunPosition.START, new Checkpoint.RunIdentity("0.1.0", "resnet20", "synth-cifar", List.of()));
        }
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 2); MaskedGrda opt = new MaskedGrda(grda(net), net);
             Arena arena = Arena.ofConfined()) {
            Checkpoint.read(file, arena).restoreInto(net, opt);
            org.junit.jupiter.api.Assertions.assertArrayEquals(written, opt.mask.toHost());
        }
    }

    /** gRDA with a mask in its state, as a masked method would hold one. */
    private static final class MaskedGrda implements Optimizer {
        final Optimizer inner;
        final io.sparsestep.params.Mask mask;

        MaskedGrda(Optimizer inner, Network net) {
            this.inner = inner;
            this.mask = io.sparsestep.params.Mask.keepingAll(net.paramSpace(), "mask");
        }

        @Override public void step(double lrFactor) { inner.step(lrFactor); mask.applyTo(mask.space().values()); }
        @Override public String name() { return inner.name(); }
        @Override public long stateBytes() { return inner.stateBytes(); }
        @Override public io.sparsestep.optim.OptimizerState state() {
            var s = inner.state();
            return new io.sparsestep.optim.OptimizerState(s.buffers(), Map.of("kept", mask), s.scalars());
        }
        @Override public void restoreScalars(Map<String, Double> scalars) { inner.restoreScalars(scalars); }
        @Override public Map<String, Object> hyperparameters() { return inner.hyperparameters(); }
        @Override public void close() { mask.close(); inner.close(); }
    }

    private static void assertRefused(Path file, Arena arena, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(file, arena));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /**
     * What a library user does without the CLI: train, checkpoint, train on; then build a fresh
     * network and optimizer, restore, train the same steps: weights, batch-norm statistics and
     * the accumulator equal the uninterrupted run's bit for bit.
     */
    @Test
    void aRestoredRunContinuesBitForBit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Checkpoint.FILE_NAME);
        float[] params, states, acc;
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 1); Optimizer opt = grda(net)) {
            for (int s = 0; s < 2; s++) trainStep(be, net, opt, s);
            Checkpoint.write(file, net, opt, new RunPosition(0, 2, List.of()), new Checkpoint.RunIdentity("0.1.0", "resnet20", "random", List.of()));
            for (int s = 2; s < 4; s++) trainStep(be, net, opt, s);
            params = net.paramSpace().values().toHost();
            states = statesOf(net);
            acc = opt.state().buffers().get("acc").toHost();
        }
        try (CpuBackend be = new CpuBackend(1); Network net = resnet(be, 99); Optimizer opt = grda(net); Arena arena = Arena.ofConfined()) {
            Checkpoint saved = Checkpoint.read(file, arena);
            saved.restoreInto(net, opt);
            for (long s = saved.position().globalStep(); s < 4; s++) trainStep(be, net, opt, (int) s);
            assertSameBits(params, net.paramSpace().values().toHost(), "parameters after the resumed steps");
            assertSameBits(states, statesOf(net), "batch-norm running statistics after the resumed steps");
            assertSameBits(acc, opt.state().buffers().get("acc").toHost(), "gRDA accumulator after the resumed steps");
        }
    }

    /** One forward-backward on batch {@code step}'s random images (a function of the step only), then the optimizer step. */
    private static void trainStep(CpuBackend be, Network net, Optimizer opt, int step) {
        int batch = 4, n = batch * SHAPE[0] * SHAPE[1] * SHAPE[2];
        Random r = new Random(1000 + step);
        float[] x = new float[n], y = new float[batch];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < batch; i++) y[i] = r.nextInt(10);
        be.upload(java.lang.foreign.MemorySegment.ofArray(x), net.input(batch));
        be.upload(java.lang.foreign.MemorySegment.ofArray(y), net.labels(batch));
        net.trainStep(batch);
        opt.step(1.0);
    }

    private static Network resnet(CpuBackend be, long seed) {
        return Network.build("resnet20", be, Models.create("resnet20", SHAPE, 10), SHAPE, 10, 4, seed);
    }

    private static Optimizer grda(Network net) {
        return Methods.parse("grda", Map.of("--c", "0.02")).build(net.paramSpace());
    }

    /** Random weights, statistics and accumulator, so nothing can match by staying at its initial value. */
    private static void randomise(Network net, Optimizer opt) {
        Random r = new Random(3);
        float[] p = net.paramSpace().values().toHost();
        for (int i = 0; i < p.length; i++) p[i] = (float) r.nextGaussian();
        net.paramSpace().values().fromHost(p);
        for (ParamBuffer b : opt.state().buffers().values()) b.fromHost(p.clone());
        try (Arena arena = Arena.ofConfined()) {
            var states = net.downloadAll(net.memory().states(), arena);
            for (long i = 0; i < states.byteSize() / 4; i++) states.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble());
            net.backend().upload(states, new io.sparsestep.backend.Tensor(net.memory().states(), 0, Math.toIntExact(net.memory().states().words())));
        }
    }

    private static float[] statesOf(Network net) {
        try (Arena arena = Arena.ofConfined()) {
            return net.downloadAll(net.memory().states(), arena).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        }
    }
}
