package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.StepOps;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Grda;
import io.sparsestep.optim.Sgd;
import io.sparsestep.testing.WatchedBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/DESIGN.md: every group, slot and state starts on a 64-byte boundary, the optimizer
 * state buffers included, and conv/linear weight views of the zoo are 16-byte aligned.
 * Checked on every model of the zoo on small inputs, and on what the ops are really handed:
 * a backend that records every view passed to it through a training step, an evaluation
 * and a gRDA and an SGD-momentum step. Views of the params and grads buffers are the one
 * exception the design makes (parameters are packed inside a group), so of those only the
 * group views the optimizer steps take must be aligned. The batch of 3 makes activation
 * sizes odd, so a slot that is not padded would shift the next one.
 */
class FlatMemoryAlignmentTest {
    private static final int BYTES = 64, BATCH = 3;
    private static CpuBackend cpu;

    @BeforeAll
    static void open() { cpu = new CpuBackend(); }

    @AfterAll
    static void close() { cpu.close(); }

    @ParameterizedTest(name = "{0} on {1}x{2}x{2}")
    @CsvSource({"lenet300, 1, 8", "lenet5, 1, 16", "vgg16, 3, 8", "resnet20, 3, 8", "resnet56, 3, 8", "wrn28-1, 3, 8", "wrn28-2, 3, 8"})
    void everyGroupSlotAndStateOfTheZooStartsOnA64ByteBoundary(String model, int channels, int side) {
        int[] in = {channels, side, side};
        checkAlignment(model, Models.create(model, in, 10), in, true);
    }

    /**
     * The zoo's batch norms all have a multiple of 16 channels, so its running statistics
     * would line up even packed; odd sizes everywhere show that the layout pads them.
     */
    @Test
    void oddSizesArePaddedToo() {
        Layer odd = new Sequential("", new Conv2d("conv1", 3, 3, 1, 1, true), new BatchNorm2d("bn1"), new ReLU("relu1"),
                new Conv2d("conv2", 5, 3, 2, 1, false), new BatchNorm2d("bn2"), new ReLU("relu2"),
                Pool2d.globalAverage("gap"), new Flatten("flatten"), new Linear("fc", 10));
        checkAlignment("odd", odd, new int[]{3, 7, 7}, false);
    }

    /** {@code zooWeights}: also the 16-byte alignment of weight views, which holds where every size before them is a multiple of 4. */
    private static void checkAlignment(String model, Layer root, int[] in, boolean zooWeights) {
        List<Tensor> handed = new ArrayList<>(), optimizerViews = new ArrayList<>();
        List<Buffer> allocated = new ArrayList<>();
        Backend recording = recording(handed, optimizerViews, allocated);
        try (Arena arena = Arena.ofConfined();
             Network net = Network.build(model, recording, root, in, 10, BATCH, 1, BATCH - 1);
             Grda grda = Grda.builder().build(net.paramSpace());
             Sgd sgd = Sgd.builder().momentum(0.9).build(net.paramSpace())) {
            cpu.upload(arena.allocate(4L * BATCH * Layer.volume(in), 64), net.input(BATCH));
            cpu.upload(arena.allocate(4L * BATCH, 64), net.labels(BATCH));
            net.trainStep(BATCH);
            net.trainStep(BATCH - 1);
            net.evalStep(BATCH);
            grda.step(1);
            sgd.step(1);

            FlatMemory memory = net.memory();
            for (Buffer b : allocated) assertAligned(b.address(), BYTES, model + ": buffer " + b.label());
            for (ParamGroup g : ParamGroup.values()) {
                assertAligned(memory.groupView(memory.params(), g).address(), BYTES, model + ": group " + g.id());
                assertAligned(memory.groupView(memory.grads(), g).address(), BYTES, model + ": gradients of group " + g.id());
            }
            for (StateTensor s : memory.stateList()) assertAligned(s.value().get().address(), BYTES, model + ": state " + s.name());
            if (zooWeights) {
                for (Param p : memory.paramList()) {
                    if (p.group() == ParamGroup.WEIGHTS) assertAligned(p.value().get().address(), 16, model + ": weight " + p.name());
                }
            }

            Set<Buffer> packed = Set.of(memory.params(), memory.grads());
            long checked = 0;
            for (Tensor t : handed) {
                if (packed.contains(t.buffer())) continue;
                assertAligned(t.address(), BYTES, model + ": a view passed to the backend, " + t);
                checked++;
            }
            assertTrue(checked > 10, model + ": only " + checked + " views outside the parameters were seen");
            assertEquals(3 * 2 * memory.nonEmptyGroups().size(), optimizerViews.size(), "weights, gradients and state per group and optimizer");
            for (Tensor t : optimizerViews) assertAligned(t.address(), BYTES, model + ": optimizer step on " + t);
        }
    }

    private static void assertAligned(long address, int bytes, String what) {
        assertEquals(0, address % bytes, () -> what + " starts " + address % bytes + " bytes past a " + bytes + "-byte boundary");
    }

    /**
     * {@code cpu}, noting every buffer it allocates and every view it is handed, and
     * separately the weights, gradient and state views of each optimizer step.
     */
    private static Backend recording(List<Tensor> handed, List<Tensor> optimizerViews, List<Buffer> allocated) {
        return WatchedBackend.of(cpu, (method, args, call) -> {
            boolean optimizerStep = method.getDeclaringClass() == StepOps.class;
            for (Object a : args == null ? new Object[0] : args) {
                if (a instanceof Tensor t) handed.add(t);
            }
            if (optimizerStep) {
                for (int i = 0; i < 3; i++) optimizerViews.add((Tensor) args[i]);
            }
            Object result = call.proceed();
            if (result instanceof Buffer b) allocated.add(b);
            return result;
        });
    }
}
