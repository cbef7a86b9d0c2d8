package io.sparsestep.nn;

import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network planned with its ReLUs fused (batch norm + ReLU in a Sequential, the residual
 * sum + ReLU) computes the bits of the same graph planned with every op separate
 * ({@link Network#buildUnfused}): the loss and every gradient and running statistic of two
 * training steps (the planned batch, then a smaller one), the evaluation loss, and every
 * ReLU's {@link ReLU#output()} (what pca-widths reads); and it plans less activation memory.
 * Models: the gradient test's three small ones and the zoo's ResNet-20, VGG-16 and WRN-28-1
 * on 8x8 inputs, with 2 threads.
 */
class NetworkFusionTest {
    private static CpuBackend be;

    @BeforeAll
    static void open() { be = new CpuBackend(2); }

    @AfterAll
    static void close() { be.close(); }

    record Case(String name, int[] input, int classes, int batch, Supplier<Layer> root) {
        @Override
        public String toString() { return name; }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (NetworkGradientTest.Model m : NetworkGradientTest.models()) {
            cases.add(new Case(m.name(), m.input(), m.classes(), Math.max(3, m.batch()), m.root()));
        }
        int[] in = {3, 8, 8};
        for (String id : List.of("resnet20", "vgg16", "wrn28-1")) cases.add(new Case(id, in, 10, 3, () -> Models.create(id, in, 10)));
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fusedNetworkGivesTheUnfusedBits(Case c) {
        try (Arena arena = Arena.ofConfined();
             Network fused = Network.build(c.name(), be, c.root().get(), c.input(), c.classes(), c.batch(), 5);
             Network separate = Network.buildUnfused(c.name(), be, c.root().get(), c.input(), c.classes(), c.batch(), 5)) {
            assertTrue(fused.memory().workspace().words() < separate.memory().workspace().words(),
                    "fused " + fused.memory().workspace().words() + " workspace words, separate " + separate.memory().workspace().words());
            assertSameBits(floats(separate, separate.memory().params(), arena), floats(fused, fused.memory().params(), arena), "initial parameters");
            upload(arena, c, fused);
            upload(arena, c, separate);
            for (int n : new int[]{c.batch(), c.batch() - 1}) {
                fused.trainStep(n);
                separate.trainStep(n);
                String what = c.name() + " training batch " + n;
                assertSameBits(separate.readLossAndCorrect(new float[2]), fused.readLossAndCorrect(new float[2]), what + ": loss, correct");
                assertSameBits(floats(separate, separate.memory().grads(), arena), floats(fused, fused.memory().grads(), arena), what + ": gradients");
                assertSameBits(floats(separate, separate.memory().states(), arena), floats(fused, fused.memory().states(), arena), what + ": running statistics");
            }
            fused.evalStep(c.batch());
            separate.evalStep(c.batch());
            assertSameBits(separate.readLossAndCorrect(new float[2]), fused.readLossAndCorrect(new float[2]), c.name() + " evaluation loss");
            List<ReLU> fusedRelus = relus(fused.root(), new ArrayList<>()), separateRelus = relus(separate.root(), new ArrayList<>());
            assertEquals(separateRelus.size(), fusedRelus.size());
            assertTrue(!fusedRelus.isEmpty());
            for (int i = 0; i < fusedRelus.size(); i++) {
                assertSameBits(floats(separate, separateRelus.get(i).output(), arena), floats(fused, fusedRelus.get(i).output(), arena),
                        c.name() + " " + fusedRelus.get(i).name() + " #" + i + " output after evaluation");
            }
        }
    }

    private static void upload(Arena arena, Case c, Network net) {
        Random r = new Random(9);
        long per = 1;
        for (int d : c.input()) per *= d;
        MemorySegment x = arena.allocate(4L * c.batch() * per, 64), y = arena.allocate(4L * c.batch(), 64);
        for (long i = 0; i < c.batch() * per; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        for (int i = 0; i < c.batch(); i++) y.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextInt(c.classes()));
        be.upload(x, net.input(c.batch()));
        be.upload(y, net.labels(c.batch()));
    }

    private static float[] floats(Network net, io.sparsestep.backend.Buffer buffer, Arena arena) {
        return net.downloadAll(buffer, arena).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static float[] floats(Network net, Tensor t, Arena arena) {
        MemorySegment host = arena.allocate(t.byteSize(), 64);
        net.backend().download(t, host);
        return host.toArray(ValueLayout.JAVA_FLOAT);
    }

    private static List<ReLU> relus(Layer layer, List<ReLU> into) {
        if (layer instanceof ReLU r) into.add(r);
        for (Layer child : layer.children()) relus(child, into);
        return into;
    }
}
