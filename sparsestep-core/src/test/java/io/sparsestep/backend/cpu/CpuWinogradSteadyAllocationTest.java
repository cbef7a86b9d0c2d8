package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.random;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Once compiled, the three Winograd passes allocate (almost) nothing on the Java heap. A
 * vector that C2 cannot keep in a register (one handed to a helper it leaves out of line, or
 * a mask chosen by a branch) becomes an object per operation: before the transforms were
 * written out, a VGG-16 training step allocated 3.6 GB of heap in these passes
 * (docs/PERFORMANCE.md, "Heap allocation inside the Winograd passes"). A boxed vector costs
 * about 100 bytes and these calls run tens of thousands of vector operations: the code before
 * the fix allocated 6.1 MB (4x4 maps) and 2.2 MB (16x16) per call here, the fixed code about
 * 14 KB and under 8 KB (the narrow maps' gather tables, built per call; the pool's lambdas;
 * packFilter's index tables). Not covered, and still boxing: the same 4x4 passes at 32
 * channels allocated 2.6 MB per call after 60 s (VGG-16 runs them at 256 and 512 channels).
 *
 * <p>Measured on the calling thread (a one-thread pool runs its bodies inline), as the least
 * bytes per call over windows of calls, so the windows before C2 compiles the passes (which
 * box everything) do not count; the test gives the JIT up to {@link #WARM_UP_NANOS}.
 */
class CpuWinogradSteadyAllocationTest {
    /** Bytes per call (all three passes) a steady call may allocate: a tenth of the smaller regression measured. */
    private static final long BOUND = 64 * 1024;
    private static final int WINDOW = 100;
    private static final long WARM_UP_NANOS = 20_000_000_000L;

    @Test
    void narrowMapsGatherWithoutBoxing() {
        // 4x4 maps: the gathered input and gradient transforms, the scattered output transform
        steady(new ConvGeometry(4, 128, 4, 4, 128, 3, 3, 1, 1, 1, 1));
    }

    @Test
    void wideMapsTransformWithoutBoxing() {
        // 16x16 maps: the split planes, dataTransform's sums into them
        steady(new ConvGeometry(1, 64, 16, 16, 64, 3, 3, 1, 1, 1, 1));
    }

    private static void steady(ConvGeometry g) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random r = new Random(5);
        MemorySegment x = MemorySegment.ofArray(random(r, (int) g.inputSize())), w = MemorySegment.ofArray(random(r, (int) g.filterSize())),
                dy = MemorySegment.ofArray(random(r, (int) g.outputSize()));
        MemorySegment y = MemorySegment.ofArray(new float[(int) g.outputSize()]), dx = MemorySegment.ofArray(new float[(int) g.inputSize()]),
                dw = MemorySegment.ofArray(new float[(int) g.filterSize()]);
        try (Parallel pool = new Parallel(1)) {
            CpuWinogradConvolution conv = new CpuWinogradConvolution(pool);
            long thread = Thread.currentThread().threadId(), least = Long.MAX_VALUE, start = System.nanoTime();
            while (System.nanoTime() - start < WARM_UP_NANOS) {
                long before = threads.getThreadAllocatedBytes(thread);
                for (int i = 0; i < WINDOW; i++) {
                    conv.forward(g, x, w, y);
                    conv.backwardData(g, dy, w, dx);
                    conv.backwardFilter(g, x, dy, dw);
                }
                least = Math.min(least, (threads.getThreadAllocatedBytes(thread) - before) / WINDOW);
                if (least <= BOUND) return;
            }
            fail(g + ": the Winograd passes still allocate " + least + " bytes per call after "
                    + WARM_UP_NANOS / 1_000_000_000L + " s of calls (bound " + BOUND + "): a vector boxed on the heap");
        }
    }
}
