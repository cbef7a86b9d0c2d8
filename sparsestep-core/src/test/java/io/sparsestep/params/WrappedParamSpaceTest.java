package io.sparsestep.params;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.testing.EmbeddedModel;
import io.sparsestep.testing.EmbeddedModel.Method;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An embedding framework's own parameter and gradient memory, wrapped into a
 * {@link ParamSpace}: gRDA and SGD step it exactly as they step memory this library
 * allocated, allocate nothing for it, and leave it to its owner when closed.
 */
class WrappedParamSpaceTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static CpuBackend be;

    @BeforeAll
    static void open() {
        be = new CpuBackend(2); // two workers, so the chunked weight group is stepped from a thread that does not own the arena
    }

    @AfterAll
    static void close() { be.close(); }

    /** How the framework hands its memory over. */
    enum HandOver { ADDRESSES, SEGMENTS }

    @ParameterizedTest
    @EnumSource(Method.class)
    void stepsOnFrameworkMemoryEqualStepsOnAllocatedMemoryBitForBit(Method method) {
        ParamLayout layout = ParamLayout.of(EmbeddedModel.tensors());
        float[] expected = EmbeddedModel.reference(be, layout, method);
        if (method == Method.GRDA) assertTrue(zeros(expected) > 1000, "gRDA should prune here; got " + zeros(expected) + " zeros");
        for (HandOver handOver : HandOver.values()) {
            try (Arena framework = Arena.ofConfined()) {
                MemorySegment params = floats(framework, EmbeddedModel.values(layout, 0));
                MemorySegment grads = floats(framework, new float[Math.toIntExact(layout.words())]);
                long allocations = be.allocationCount(), bytes = be.bytesInUse(), peak = be.peakBytes();
                float[] stepped;
                try (ParamSpace space = wrap(handOver, layout, params, grads)) {
                    assertEquals(allocations, be.allocationCount(), handOver + ": wrapping allocates nothing");
                    assertEquals(bytes, be.bytesInUse(), handOver + ": wrapped memory is not counted as in use");
                    assertEquals(peak, be.peakBytes(), handOver + ": nor in the peak");
                    try (Optimizer optimizer = method.build(space)) {
                        // the framework writes its gradients into its own memory, as a backward pass would
                        EmbeddedModel.steps(optimizer, s -> put(grads, EmbeddedModel.values(layout, s)));
                    }
                    stepped = space.values().toHost();
                }
                assertSameBits(expected, stepped, method + " on " + handOver);
                assertSameBits(expected, params.toArray(F), method + " on " + handOver + ": the framework's parameters after closing");
                assertSameBits(EmbeddedModel.values(layout, EmbeddedModel.STEPS), grads.toArray(F),
                        method + " on " + handOver + ": the framework's gradients after closing");
                assertEquals(bytes, be.bytesInUse(), handOver + ": closing gave back exactly the optimizer's state");
            }
        }
    }

    /**
     * A framework that lays its memory out its own way (biases first, off 64-byte
     * boundaries, a gap between the groups) describes it with explicit offsets; every tensor
     * then steps as in the packed layout, and the gap is never touched.
     */
    @ParameterizedTest
    @EnumSource(Method.class)
    void anExplicitLayoutStepsEveryTensorAsThePackedLayoutDoes(Method method) {
        ParamLayout packed = ParamLayout.of(EmbeddedModel.tensors());
        ParamLayout framework = biasesFirst(3, 5);
        assertEquals(List.of(ParamGroup.WEIGHTS, ParamGroup.BIAS_AND_NORM), framework.nonEmptyGroups());
        Map<String, float[]> expected = EmbeddedModel.byName(packed, EmbeddedModel.reference(be, packed, method));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = floats(arena, EmbeddedModel.values(framework, 0));
            MemorySegment grads = floats(arena, new float[Math.toIntExact(framework.words())]);
            try (ParamSpace space = ParamSpace.wrap(be, framework, params, grads);
                 Optimizer optimizer = method.build(space)) {
                EmbeddedModel.steps(optimizer, s -> put(grads, EmbeddedModel.values(framework, s)));
            }
            float[] got = params.toArray(F);
            Map<String, float[]> byName = EmbeddedModel.byName(framework, got);
            for (String name : expected.keySet()) assertSameBits(expected.get(name), byName.get(name), method + " " + name);
            for (int i = 0; i < 3; i++) assertSameBits(EmbeddedModel.GAP, got[i], "word " + i + " before the first tensor");
            long gap = framework.group(ParamGroup.BIAS_AND_NORM).length() + 3;
            for (long i = gap; i < gap + 5; i++) assertSameBits(EmbeddedModel.GAP, got[(int) i], "word " + i + " between the groups");
        }
    }

    @Test
    void anExplicitLayoutKnowsItsGroupsAndSize() {
        ParamLayout l = biasesFirst(3, 5);
        ParamLayout.Range biases = l.group(ParamGroup.BIAS_AND_NORM), weights = l.group(ParamGroup.WEIGHTS);
        assertEquals(new ParamLayout.Range(3, 47 + 10 + 17), biases);
        assertEquals(new ParamLayout.Range(3 + 74 + 5, 330 + (long) EmbeddedModel.tensors().getFirst().shape()[0]), weights);
        assertEquals(weights.offset() + weights.length(), l.words());
        assertEquals(ParamLayout.of(EmbeddedModel.tensors()).parameterCount(), l.parameterCount());
        assertEquals(List.of("fc2.weight", "fc1.weight", "bn.weight", "fc2.bias", "fc1.bias"),
                l.entries().stream().map(ParamEntry::name).toList(), "entries keep the order they were given in");
    }

    @Test
    void anExplicitLayoutTheOptimizersCannotStepIsRefusedNamingTheTensors() {
        ParamGroup w = ParamGroup.WEIGHTS, b = ParamGroup.BIAS_AND_NORM;
        refused("'b' [8, 18) overlaps 'a' [0, 10)", ParamEntry.at("a", new int[]{10}, w, 0), ParamEntry.at("b", new int[]{10}, w, 8));
        refused("group weights is not one contiguous range: 'a' ends at 10 but the next weights tensor, 'b', starts at 12",
                ParamEntry.at("a", new int[]{10}, w, 0), ParamEntry.at("b", new int[]{10}, w, 12));
        // a PyTorch-style parameters() order: weight, bias, weight, bias; the weights group would step the bias between
        refused("'fc1.weight' ends at 10 but the next weights tensor, 'fc2.weight', starts at 12",
                ParamEntry.at("fc1.weight", new int[]{10}, w, 0), ParamEntry.at("fc1.bias", new int[]{2}, b, 10),
                ParamEntry.at("fc2.weight", new int[]{4}, w, 12));
        refused("'a' has size 9 but shape [2, 5] holds 10", new ParamEntry("a", new int[]{2, 5}, w, 0, 9));
        refused("'a' has shape [3, 0]; every dimension must be >= 1", ParamEntry.at("a", new int[]{3, 0}, w, 0));
        refused("'a' has offset -4", ParamEntry.at("a", new int[]{4}, w, -4));
        refused("two parameters are named 'a'", ParamEntry.at("a", new int[]{4}, w, 0), ParamEntry.at("a", new int[]{4}, b, 4));
        refused("entry 1 is null", ParamEntry.at("a", new int[]{4}, w, 0), null);
    }

    @Test
    void badFrameworkMemoryIsRefusedAndLeavesNothingAllocated() {
        ParamLayout layout = ParamLayout.of(EmbeddedModel.tensors());
        long allocations = be.allocationCount(), bytes = be.bytesInUse();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment enough = arena.allocate(4 * layout.words(), 64);
            MemorySegment short1 = arena.allocate(4 * (layout.words() - 1), 64);
            IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class, () -> ParamSpace.wrap(be, layout, enough, short1));
            assertEquals("buffer 'grads' has " + (layout.words() - 1) + " words; the layout needs " + layout.words(), tooShort.getMessage());
            IllegalArgumentException nullParams = assertThrows(IllegalArgumentException.class,
                    () -> ParamSpace.wrap(be, layout, 0L, enough.address()));
            assertTrue(nullParams.getMessage().startsWith("wrap 'params': address is 0"), nullParams.getMessage());
            IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                    () -> ParamSpace.wrap(be, layout, enough.address(), enough.address() + 2));
            assertTrue(odd.getMessage().contains("wrap 'grads': address 0x") && odd.getMessage().contains("is not 4-byte aligned"), odd.getMessage());
        }
        assertEquals(allocations, be.allocationCount());
        assertEquals(bytes, be.bytesInUse());
    }

    /** The model's tensors with the bias group first at {@code start}, {@code gap} floats before the weights, listed in reverse. */
    private static ParamLayout biasesFirst(long start, long gap) {
        List<ParamEntry> entries = new ArrayList<>();
        long cursor = start;
        for (ParamGroup g : List.of(ParamGroup.BIAS_AND_NORM, ParamGroup.WEIGHTS)) {
            for (ParamLayout.Declared d : EmbeddedModel.tensors()) {
                if (d.group() != g) continue;
                ParamEntry e = ParamEntry.at(d.name(), d.shape(), g, cursor);
                entries.addFirst(e);
                cursor += e.size();
            }
            cursor += gap;
        }
        return ParamLayout.explicit(entries);
    }

    private static ParamSpace wrap(HandOver how, ParamLayout layout, MemorySegment params, MemorySegment grads) {
        return switch (how) {
            case ADDRESSES -> ParamSpace.wrap(be, layout, params.address(), grads.address());
            case SEGMENTS -> ParamSpace.wrap(be, layout, params, grads);
        };
    }

    private static void refused(String expected, ParamEntry... entries) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParamLayout.explicit(java.util.Arrays.asList(entries)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static MemorySegment floats(Arena arena, float[] values) {
        MemorySegment s = arena.allocate(4L * values.length, 64);
        put(s, values);
        return s;
    }

    private static void put(MemorySegment dst, float[] values) {
        MemorySegment.copy(values, 0, dst, F, 0, values.length);
    }

    private static int zeros(float[] values) {
        int n = 0;
        for (float v : values) if (Float.floatToRawIntBits(v) == 0) n++;
        return n;
    }
}
