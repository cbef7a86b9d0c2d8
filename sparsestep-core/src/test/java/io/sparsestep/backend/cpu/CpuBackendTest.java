package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Memory accounting, buffer lifecycle and the promise that ops allocate nothing. */
class CpuBackendTest {

    @Test
    void buffersAreZeroFilledAlignedAndAccounted() {
        CpuBackend be = new CpuBackend(2);
        try {
            assertEquals("cpu", be.name());
            assertTrue(be.description().contains("2 threads"), be.description());
            Buffer a = be.allocate(1000, "params");
            Buffer b = be.allocate(10, "grads");
            assertEquals(2, be.allocationCount());
            assertEquals(4040, be.bytesInUse());
            assertEquals(0, a.address() % 64, "64-byte aligned");
            assertEquals(((CpuBuffer) a).segment().address(), a.address());
            assertEquals(4000, ((CpuBuffer) a).segment().byteSize());
            assertEquals(1000, be.elementwise().countZeros(new Tensor(a, 0, 1000)), "zero-filled");
            assertSame(be, a.backend());
            assertEquals("params", a.label());
            a.close();
            a.close(); // idempotent
            assertEquals(40, be.bytesInUse());
            assertEquals(4040, be.peakBytes());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.elementwise().fill(new Tensor(a, 0, 10), 1f));
            assertTrue(e.getMessage().contains("closed buffer"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> be.allocate(-1, "bad"));
            be.close();
            assertEquals(0, be.bytesInUse(), "closing the backend frees its buffers");
            assertThrows(IllegalStateException.class, () -> be.allocate(1, "late"));
            assertThrows(IllegalArgumentException.class, () -> be.elementwise().fill(new Tensor(b, 0, 1), 1f));
        } finally {
            be.close();
        }
    }

    @Test
    void repeatedOpsAllocateNoBackendMemory() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random r = new Random(1);
            ConvGeometry cg = new ConvGeometry(4, 3, 9, 9, 5, 3, 3, 2, 2, 1, 1);
            PoolGeometry pg = new PoolGeometry(4, 5, 5, 5, 2, 2, 2, 2, 0, 0);
            Tensor x = tensor(be, random(r, (int) cg.inputSize()), (int) cg.inputSize());
            Tensor w = tensor(be, random(r, (int) cg.filterSize()), (int) cg.filterSize());
            Tensor y = zeros(be, (int) cg.outputSize()), dx = zeros(be, (int) cg.inputSize()), dw = zeros(be, (int) cg.filterSize());
            Tensor ws = zeros(be, (int) be.convWorkspaceWords(cg));
            Tensor pooled = zeros(be, (int) pg.outputSize()), bias = zeros(be, 5), stats = zeros(be, 5);
            Tensor logits = tensor(be, random(r, 40), 4, 10), labels = tensor(be, new float[]{1, 2, 3, 4}, 4), res = zeros(be, 2);
            Tensor a = tensor(be, random(r, 100), 10, 10), c = zeros(be, 10, 10), g = zeros(be, 100), m = zeros(be, 100);
            Runnable step = () -> {
                be.convForward(cg, x, w, y, ws);
                be.elementwise().addBias(y, bias, 4, 5, 25);
                be.batchNormForwardTraining(4, 5, 25, y, y, bias, bias, stats, stats, stats, stats, 0.1f, 1e-5f);
                be.elementwise().reluForward(y, y);
                be.poolForward(PoolMode.MAX, pg, y, pooled);
                be.poolBackward(PoolMode.MAX, pg, y, pooled, pooled, y);
                be.convBackwardData(cg, y, w, dx, ws);
                be.convBackwardFilter(cg, x, y, dw, ws);
                be.elementwise().biasGradient(y, bias, 4, 5, 25);
                be.loss().softmaxCrossEntropy(logits, labels, 4, 10, logits, 0.25f, res);
                be.gemm(false, true, 10, 10, 10, 1f, a, a, 0f, c);
                be.steps().sgd(a.reshape(100), g, m, 0.01f, 0.9f, 0f, 1e-4f, true, false);
                be.steps().grda(a.reshape(100), g, m, 0.01f, 0.001f, null);
                be.elementwise().countZeros(a);
            };
            step.run();
            long allocations = be.allocationCount(), bytes = be.bytesInUse();
            for (int i = 0; i < 5; i++) step.run();
            assertEquals(allocations, be.allocationCount());
            assertEquals(bytes, be.bytesInUse());
        }
    }

    @Test
    void rejectsViewsOfAnotherBackend() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend other = new CpuBackend(1)) {
            Tensor mine = zeros(one, 4), theirs = zeros(other, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.elementwise().add(mine, theirs, mine));
            assertTrue(e.getMessage().contains("add operand b"), e.getMessage());
        }
    }
}
