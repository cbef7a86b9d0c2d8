package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Sgd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

class NetworkTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    private static Network build(String id, int[] in, int classes, int batch, long seed) {
        return Network.build(id, be, Models.create(id, in, classes), in, classes, batch, seed);
    }

    /** Parameter counts worked out by hand from the architectures (see the comments). */
    @ParameterizedTest
    @CsvSource({
            // 784*300+300 + 300*100+100 + 100*10+10
            "lenet300, 1, 28, 10, 266610",
            // conv 20*1*25+20 = 520, conv 50*20*25+50 = 25050, fc 800*500+500 = 400500, fc 500*10+10 = 5010
            "lenet5, 1, 28, 10, 431080",
            // conv1 432 + bn 32; stage1 3*(2*2304+64); stage2 4608+9216+128+512+64 + 2*(2*9216+128);
            // stage3 18432+36864+256+2048+128 + 2*(2*36864+256); fc 650
            "resnet20, 3, 32, 10, 272474",
    })
    void parameterCounts(String id, int c, int hw, int classes, long expected) {
        try (Network net = build(id, new int[]{c, hw, hw}, classes, 2, 1)) {
            assertEquals(expected, net.parameterCount());
        }
    }

    @Test
    void groupsAreContiguousAndHoldTheRightParameters() {
        try (Network net = build("lenet300", new int[]{1, 28, 28}, 10, 4, 1)) {
            long[] w = net.memory().groupRange(ParamGroup.WEIGHTS);
            long[] b = net.memory().groupRange(ParamGroup.BIAS_AND_NORM);
            assertEquals(784 * 300 + 300 * 100 + 100 * 10, w[1]);
            assertEquals(300 + 100 + 10, b[1]);
            assertTrue(b[0] >= w[0] + w[1], "groups overlap");
            for (Param p : net.params()) {
                Tensor v = p.value().get();
                long[] r = net.memory().groupRange(p.group());
                assertTrue(v.offset() >= r[0] && v.offset() + v.size() <= r[0] + r[1], p + " outside its group range");
                assertEquals(p.name().endsWith("weight") ? ParamGroup.WEIGHTS : ParamGroup.BIAS_AND_NORM, p.group(), p.name());
            }
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        try (Arena arena = Arena.ofConfined();
             Network a = build("lenet5", new int[]{1, 28, 28}, 10, 2, 7);
             Network b = build("lenet5", new int[]{1, 28, 28}, 10, 2, 7);
             Network c = build("lenet5", new int[]{1, 28, 28}, 10, 2, 8)) {
            MemorySegment wa = a.downloadAll(a.memory().params(), arena);
            MemorySegment wb = b.downloadAll(b.memory().params(), arena);
            MemorySegment wc = c.downloadAll(c.memory().params(), arena);
            assertEquals(-1, wa.mismatch(wb));
            assertNotEquals(-1, wa.mismatch(wc));
        }
    }

    @Test
    void kaimingInitHasTheExpectedSpread() {
        try (Arena arena = Arena.ofConfined(); Network net = build("lenet300", new int[]{1, 28, 28}, 10, 2, 3)) {
            MemorySegment w = net.downloadAll(net.memory().params(), arena);
            Param fc1 = net.params().getFirst();
            assertEquals("fc1.weight", fc1.name());
            double sum = 0, sq = 0;
            long off = fc1.value().get().offset();
            for (long i = 0; i < fc1.size(); i++) {
                double v = w.getAtIndex(ValueLayout.JAVA_FLOAT, off + i);
                sum += v;
                sq += v * v;
            }
            double var = sq / fc1.size() - Math.pow(sum / fc1.size(), 2);
            assertEquals(2.0 / 784, var, 0.05 * 2.0 / 784, "He normal variance 2/fan_in");
        }
    }

    /** Every model learns: repeated SGD steps on one small fixed batch lower its loss. */
    @ParameterizedTest
    @CsvSource({
            "lenet300, 1, 28, 10, 0.05, 40",
            "lenet5, 1, 28, 10, 0.01, 40",
            "vgg16, 3, 32, 10, 0.02, 15",
            "resnet20, 3, 32, 10, 0.05, 15",
            "resnet56, 3, 16, 10, 0.05, 25",
            "wrn28-1, 3, 16, 100, 0.05, 10",
            "vgg16, 1, 28, 10, 0.02, 15",
    })
    void modelTrainsOnASmallBatch(String id, int c, int hw, int classes, double lr, int steps) {
        int batch = 8;
        int[] in = {c, hw, hw};
        try (Arena arena = Arena.ofConfined(); Network net = build(id, in, classes, batch, 5);
             Sgd sgd = Sgd.builder().lr(lr).momentum(0.9).build(net.paramSpace())) {
            Random rng = new Random(11);
            MemorySegment x = arena.allocate(4L * batch * c * hw * hw, 64);
            MemorySegment y = arena.allocate(4L * batch, 64);
            for (long i = 0; i < (long) batch * c * hw * hw; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
            for (int i = 0; i < batch; i++) y.setAtIndex(ValueLayout.JAVA_FLOAT, i, rng.nextInt(classes));
            be.upload(x, net.input(batch));
            be.upload(y, net.labels(batch));
            float[] r = new float[2];
            net.trainStep(batch);
            float first = net.readLossAndCorrect(r)[0] / batch;
            assertEquals(Math.log(classes), first, 3.0, "initial loss near log(classes)");
            float last = first;
            for (int s = 0; s < steps; s++) {
                sgd.step(1);
                net.trainStep(batch);
                last = net.readLossAndCorrect(r)[0] / batch;
            }
            assertTrue(last < 0.5 * first, id + ": loss " + first + " -> " + last + " did not fall by half");
        }
    }

    @Test
    void wideResnet10HasTheWrnParameterCount() {
        // WRN-28-10 on CIFAR-100 is quoted at 36.5M parameters
        try (Network net = build("wrn28-10", new int[]{3, 32, 32}, 100, 1, 1)) {
            assertEquals(36.5e6, net.parameterCount(), 0.1e6);
        }
    }

    @Test
    void batchNormRefusesATrainingBatchWithoutStatistics() {
        // VGG-16 on 8x8 inputs runs its last batch norms on 1x1 planes: one value per channel per image
        try (Arena arena = Arena.ofConfined(); Network net = build("vgg16", new int[]{3, 8, 8}, 10, 4, 1)) {
            net.prepareBatchSizes(1, 3);
            be.upload(arena.allocate(4L * 3 * 8 * 8, 64), net.input(1));
            be.upload(arena.allocate(4, 4), net.labels(1));
            net.evalStep(1); // inference uses running statistics: fine
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.trainStep(1));
            assertTrue(e.getMessage().contains("at least 2 values per channel"), e.getMessage());
        }
    }

    /**
     * A backend whose speed-ranked choice wants more scratch for a smaller batch than for
     * the full one (as cudnnFind may, on a real GPU): preparing that batch must succeed when
     * its leanest algorithms fit the planned scratch, and fail, naming the layer, when not.
     */
    @Test
    void aSmallerBatchNeedsOnlyToFitItsLeanestAlgorithms() {
        int full = 4;
        for (long leanest : new long[] {0, Long.MAX_VALUE / 8}) {
            Backend picky = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, m, args) -> {
                        if (m.getName().equals("convWorkspaceWords") || m.getName().equals("convMinWorkspaceWords")) {
                            io.sparsestep.backend.ConvGeometry g = (io.sparsestep.backend.ConvGeometry) args[0];
                            boolean small = g.n() < full;
                            if (m.getName().equals("convWorkspaceWords")) return small ? 1L << 30 : be.convWorkspaceWords(g);
                            return small ? Math.min(leanest, 1L << 40) : be.convWorkspaceWords(g);
                        }
                        try {
                            return m.invoke(be, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            int[] in = {1, 28, 28};
            try (Network net = Network.build("lenet5", picky, Models.create("lenet5", in, 10), in, 10, full, 1)) {
                if (leanest == 0) {
                    net.prepareBatchSizes(full - 1, 1);
                } else {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.prepareBatchSizes(full - 1));
                    assertTrue(e.getMessage().contains("batch 3 needs") && e.getMessage().contains("scratch words"), e.getMessage());
                }
            }
        }
    }

    /** The other batch sizes given to build are prepared (cuDNN Find, on a GPU) before the first allocation. */
    @Test
    void otherBatchSizesArePreparedBeforeAnythingIsAllocated() {
        java.util.List<String> calls = new java.util.ArrayList<>();
        Backend recording = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("allocate")) calls.add("allocate");
                    if (m.getName().equals("convMinWorkspaceWords")) calls.add("prepare n=" + ((io.sparsestep.backend.ConvGeometry) args[0]).n());
                    try {
                        return m.invoke(be, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        int[] in = {1, 28, 28};
        try (Network net = Network.build("lenet5", recording, Models.create("lenet5", in, 10), in, 10, 8, 1, 3, 8, 5)) {
            assertEquals(java.util.List.of("prepare n=3", "prepare n=3", "prepare n=5", "prepare n=5"),
                    calls.subList(0, 4), "two convolutions prepared for batches 3 and 5 (8 is the planned one): " + calls);
            assertTrue(calls.indexOf("allocate") > 3 && calls.lastIndexOf("prepare n=5") < calls.indexOf("allocate"), calls.toString());
        }
    }

    /** Same seed, same data, same steps: the same weights, bit for bit (the CPU backend is the reference). */
    @Test
    void trainingIsBitwiseReproducible() {
        int batch = 16;
        int[] in = {1, 28, 28};
        MemorySegment[] finals = new MemorySegment[2];
        try (Arena arena = Arena.ofConfined()) {
            for (int run = 0; run < 2; run++) {
                try (Network net = build("lenet5", in, 10, batch, 7);
                     Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9).build(net.paramSpace())) {
                    Random rng = new Random(3);
                    MemorySegment x = arena.allocate(4L * batch * 28 * 28, 64), y = arena.allocate(4L * batch, 64);
                    for (long i = 0; i < (long) batch * 28 * 28; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
                    for (int i = 0; i < batch; i++) y.setAtIndex(ValueLayout.JAVA_FLOAT, i, rng.nextInt(10));
                    be.upload(x, net.input(batch));
                    be.upload(y, net.labels(batch));
                    for (int s = 0; s < 5; s++) {
                        net.trainStep(batch);
                        sgd.step(1);
                    }
                    finals[run] = net.downloadAll(net.memory().params(), arena);
                }
            }
            assertSameBits(finals[0].toArray(ValueLayout.JAVA_FLOAT), finals[1].toArray(ValueLayout.JAVA_FLOAT), "the second run's parameters");
        }
    }

    @Test
    void unknownModelNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.create("alexnet", new int[]{3, 32, 32}, 10));
        assertTrue(e.getMessage().contains("lenet300"), e.getMessage());
    }

    @Test
    void aTrainingStepAllocatesNothing() {
        int batch = 4;
        int[] in = {3, 16, 16};
        try (Arena arena = Arena.ofConfined(); Network net = build("resnet20", in, 10, batch, 1);
             Sgd sgd = Sgd.builder().lr(0.01).momentum(0.9).build(net.paramSpace())) {
            MemorySegment x = arena.allocate(4L * batch * 3 * 16 * 16, 64);
            MemorySegment y = arena.allocate(4L * batch, 64);
            be.upload(x, net.input(batch));
            be.upload(y, net.labels(batch));
            net.trainStep(batch);
            sgd.step(1);
            long allocations = be.allocationCount();
            long bytes = be.bytesInUse();
            float[] r = new float[2];
            for (int s = 0; s < 3; s++) {
                net.trainStep(batch);
                sgd.step(1);
                net.readLossAndCorrect(r);
                net.trainStep(batch - 1); // a smaller last batch reuses the same regions
                net.evalStep(batch);
            }
            assertEquals(allocations, be.allocationCount(), "backend allocations inside training steps");
            assertEquals(bytes, be.bytesInUse());
        }
    }
}
