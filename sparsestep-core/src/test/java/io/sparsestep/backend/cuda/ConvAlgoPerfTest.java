package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cudnnConvolution*AlgoPerf_t layout and the choice among Find results. */
class ConvAlgoPerfTest {

    @Test
    void layoutMatchesTheCStructOnLp64() {
        // int algo; int status; float time; [pad 4]; size_t memory; int determinism; int mathType; int reserved[3]; [pad 4]
        assertEquals(48, ConvAlgoPerf.SIZE);
        assertEquals(0, ConvAlgoPerf.ALGO);
        assertEquals(4, ConvAlgoPerf.STATUS);
        assertEquals(8, ConvAlgoPerf.TIME);
        assertEquals(16, ConvAlgoPerf.MEMORY);
        assertEquals(24, ConvAlgoPerf.DETERMINISM);
        assertEquals(28, ConvAlgoPerf.MATH_TYPE);
        assertEquals(8, ConvAlgoPerf.LAYOUT.byteAlignment());
    }

    @Test
    void readsStructsWrittenAtTheCOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(48 * 3, 8);
            write(array, 0, 1, 0, 0.25f, 4096, 1, 3);
            write(array, 1, 6, 3000, -1f, 0, 0, 0);
            write(array, 2, 7, 0, 1.5f, 5L << 32, 0, 1);

            List<ConvAlgoPerf> perfs = ConvAlgoPerf.readAll(array, 3);

            assertEquals(new ConvAlgoPerf(1, 0, 0.25f, 4096, 1, 3), perfs.get(0));
            assertEquals(new ConvAlgoPerf(6, 3000, -1f, 0, 0, 0), perfs.get(1));
            assertEquals(new ConvAlgoPerf(7, 0, 1.5f, 5L << 32, 0, 1), perfs.get(2));
        }
    }

    private static void write(MemorySegment array, int index, int algo, int status, float time, long memory, int determinism, int math) {
        long base = 48L * index;
        array.set(ValueLayout.JAVA_INT, base, algo);
        array.set(ValueLayout.JAVA_INT, base + 4, status);
        array.set(ValueLayout.JAVA_FLOAT, base + 8, time);
        array.set(ValueLayout.JAVA_INT, base + 12, 0xdeadbeef); // padding: must be ignored
        array.set(ValueLayout.JAVA_LONG, base + 16, memory);
        array.set(ValueLayout.JAVA_INT, base + 24, determinism);
        array.set(ValueLayout.JAVA_INT, base + 28, math);
        array.set(ValueLayout.JAVA_INT, base + 32, 77); // reserved
    }

    private static final List<ConvAlgoPerf> FOUND = List.of(
            new ConvAlgoPerf(0, 0, 0.9f, 0, 1, Cudnn.CUDNN_FMA_MATH),
            new ConvAlgoPerf(1, 0, 0.3f, 1 << 20, 1, Cudnn.CUDNN_FMA_MATH),
            new ConvAlgoPerf(2, 0, 0.1f, 64 << 20, 0, Cudnn.CUDNN_DEFAULT_MATH),
            new ConvAlgoPerf(5, 0, 0.05f, 0, 1, 1), // tensor-op math: TF32, never chosen
            new ConvAlgoPerf(6, 3000, 0.01f, 0, 1, Cudnn.CUDNN_FMA_MATH), // failed during Find
            new ConvAlgoPerf(7, 0, 0.2f, 1 << 30, 1, Cudnn.CUDNN_FMA_MATH));

    @Test
    void usableAlgorithmsAreSuccessfulFullPrecisionFittingAndFastestFirst() {
        assertEquals(List.of(2, 7, 1, 0), ConvAlgoPerf.usable(FOUND, Long.MAX_VALUE).stream().map(ConvAlgoPerf::algo).toList());
        assertEquals(List.of(2, 1, 0), ConvAlgoPerf.usable(FOUND, 64 << 20).stream().map(ConvAlgoPerf::algo).toList());
        assertEquals(List.of(1, 0), ConvAlgoPerf.usable(FOUND, (64 << 20) - 1).stream().map(ConvAlgoPerf::algo).toList());
        assertEquals(List.of(0), ConvAlgoPerf.usable(FOUND, 0).stream().map(ConvAlgoPerf::algo).toList());
    }

    @Test
    void workspaceIsWhatTheFastestAlgorithmUnderTheCapNeeds() {
        assertEquals(64 << 20, ConvAlgoPerf.workspaceFor(FOUND, 256L << 20));
        assertEquals(1 << 20, ConvAlgoPerf.workspaceFor(FOUND, 32 << 20));
        assertEquals(0, ConvAlgoPerf.workspaceFor(FOUND, 1000));
        List<ConvAlgoPerf> allBig = List.of(new ConvAlgoPerf(3, 0, 1f, 900L << 20, 1, 3), new ConvAlgoPerf(4, 0, 2f, 300L << 20, 1, 3));
        assertEquals(300L << 20, ConvAlgoPerf.workspaceFor(allBig, 256L << 20), "over the cap, the smallest need");
        assertEquals(-1, ConvAlgoPerf.workspaceFor(List.of(new ConvAlgoPerf(0, 3000, 1f, 0, 1, 3)), 1 << 20));
        assertTrue(ConvAlgoPerf.usable(List.of(), 1).isEmpty());
    }
}
