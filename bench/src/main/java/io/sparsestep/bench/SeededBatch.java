package io.sparsestep.bench;

import io.sparsestep.nn.Network;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The input batch of the inference benchmarks and their logits: uniform [0, 1) floats from a
 * seeded generator (a dense forward's time does not depend on the values, and the same seed
 * gives both sides of a comparison the same batch), uploaded once into the network's input.
 */
final class SeededBatch {
    private SeededBatch() {}

    /** Fills the network's input for {@code batch} samples from {@code rng} and waits for the backend. */
    static void upload(Network net, int batch, SplittableRandom rng) {
        long floats = (long) batch * Arrays.stream(net.inputShape()).asLongStream().reduce(1, (x, y) -> x * y);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(4 * floats, 64);
            for (long i = 0; i < floats; i++) images.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextDouble());
            net.backend().upload(images, net.input(batch));
            net.backend().synchronize();
        }
    }

    /** One more evaluation-mode forward pass and its logits, [batch, classes] (waits for the backend). */
    static float[] logits(Network net, int batch, int classes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(4L * batch * classes, 64);
            net.backend().download(net.forward(batch, false), out);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }
}
