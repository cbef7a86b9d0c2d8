package io.sparsestep.backend.cuda;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One result of cudnnFindConvolution{Forward,BackwardData,BackwardFilter}Algorithm: the
 * three perf structs (cudnnConvolutionFwdAlgoPerf_t and its BwdData/BwdFilter twins) share
 * one layout in cuDNN 8 and 9:
 * <pre>
 *   int algo; cudnnStatus_t status; float time; size_t memory;
 *   cudnnDeterminism_t determinism; cudnnMathType_t mathType; int reserved[3];
 * </pre>
 * which on LP64 is 48 bytes: algo@0, status@4, time@8, 4 bytes padding, memory@16,
 * determinism@24, mathType@28, reserved@32..44, 4 bytes tail padding (size_t alignment).
 */
public record ConvAlgoPerf(int algo, int status, float timeMs, long memoryBytes, int determinism, int mathType) {

    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("algo"),
            ValueLayout.JAVA_INT.withName("status"),
            ValueLayout.JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("memory"),
            ValueLayout.JAVA_INT.withName("determinism"),
            ValueLayout.JAVA_INT.withName("mathType"),
            MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    static final long SIZE = LAYOUT.byteSize();
    static final long ALGO = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("algo"));
    static final long STATUS = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("status"));
    static final long TIME = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("time"));
    static final long MEMORY = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("memory"));
    static final long DETERMINISM = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("determinism"));
    static final long MATH_TYPE = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("mathType"));

    /** cuDNN math types that never round float32 inputs to TF32 (CUDNN_DEFAULT_MATH on a descriptor set to FMA, CUDNN_FMA_MATH). */
    static boolean isFullFloat32(int mathType) {
        return mathType == Cudnn.CUDNN_DEFAULT_MATH || mathType == Cudnn.CUDNN_FMA_MATH;
    }

    /** The first {@code count} structs of an array written by a Find call. */
    static List<ConvAlgoPerf> readAll(MemorySegment array, int count) {
        List<ConvAlgoPerf> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MemorySegment s = array.asSlice(i * SIZE, SIZE);
            out.add(new ConvAlgoPerf(s.get(ValueLayout.JAVA_INT, ALGO), s.get(ValueLayout.JAVA_INT, STATUS),
                    s.get(ValueLayout.JAVA_FLOAT, TIME), s.get(ValueLayout.JAVA_LONG, MEMORY),
                    s.get(ValueLayout.JAVA_INT, DETERMINISM), s.get(ValueLayout.JAVA_INT, MATH_TYPE)));
        }
        return out;
    }

    /**
     * The algorithms worth trying with {@code workspaceBytes} of scratch, fastest first:
     * those that ran successfully during Find, need no more workspace than given, and keep
     * full float32 precision.
     */
    static List<ConvAlgoPerf> usable(List<ConvAlgoPerf> found, long workspaceBytes) {
        return found.stream()
                .filter(p -> p.status == 0 && p.memoryBytes >= 0 && p.memoryBytes <= workspaceBytes && isFullFloat32(p.mathType))
                .sorted(Comparator.comparingDouble(ConvAlgoPerf::timeMs))
                .toList();
    }

    /**
     * Workspace bytes to reserve for one direction: what the fastest algorithm within
     * {@code capBytes} needs, or, when every successful one needs more than the cap, the
     * smallest need (a larger-than-cap workspace beats no convolution). -1 when none succeeded.
     */
    static long workspaceFor(List<ConvAlgoPerf> found, long capBytes) {
        List<ConvAlgoPerf> withinCap = usable(found, capBytes);
        if (!withinCap.isEmpty()) return withinCap.getFirst().memoryBytes;
        return leastWorkspace(found);
    }

    /** The smallest workspace any working full-float32 algorithm needs; -1 when none succeeded. */
    static long leastWorkspace(List<ConvAlgoPerf> found) {
        return usable(found, Long.MAX_VALUE).stream().mapToLong(ConvAlgoPerf::memoryBytes).min().orElse(-1);
    }
}
