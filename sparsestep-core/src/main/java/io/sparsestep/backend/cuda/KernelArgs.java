package io.sparsestep.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The argument block of one cuLaunchKernel: a native array of 8-byte slots holding the
 * values, and the void*[] of pointers to them that the driver reads. The driver copies the
 * values during the call, so one block per thread is reused for every launch (no native
 * allocation on the training path). Each value is recorded with its kind, and
 * {@link #check(KernelSignature)} compares the kinds with the kernel's declared
 * parameters, so a Java call site that passes the wrong arguments fails with a clear
 * message instead of a kernel reading garbage.
 */
final class KernelArgs {
    /** What a parameter is, as the PTX declares it: .u64 (pointer or u64), .f32, .u32 (int). */
    enum Kind { POINTER, U64, F32, I32 }

    static final int MAX_ARGS = 16;
    private static final ThreadLocal<KernelArgs> PER_THREAD = ThreadLocal.withInitial(KernelArgs::new);

    private final MemorySegment values;
    private final MemorySegment pointers;
    private final Kind[] kinds = new Kind[MAX_ARGS];
    private int count;

    KernelArgs() {
        // Auto arena: freed with the thread's ThreadLocal, never while a launch reads it.
        Arena arena = Arena.ofAuto();
        values = arena.allocate(8L * MAX_ARGS, 16);
        pointers = arena.allocate(ValueLayout.ADDRESS, MAX_ARGS);
        for (int i = 0; i < MAX_ARGS; i++) pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
    }

    /** This thread's block, emptied. */
    static KernelArgs begin() {
        KernelArgs a = PER_THREAD.get();
        a.count = 0;
        return a;
    }

    /** A device pointer (0 passes NULL). */
    KernelArgs ptr(long devicePointer) {
        values.set(ValueLayout.JAVA_LONG, slot(Kind.POINTER), devicePointer);
        return this;
    }

    KernelArgs u64(long value) {
        values.set(ValueLayout.JAVA_LONG, slot(Kind.U64), value);
        return this;
    }

    KernelArgs f32(float value) {
        values.set(ValueLayout.JAVA_FLOAT, slot(Kind.F32), value);
        return this;
    }

    KernelArgs i32(int value) {
        values.set(ValueLayout.JAVA_INT, slot(Kind.I32), value);
        return this;
    }

    int count() { return count; }

    Kind[] kinds() { return Arrays.copyOf(kinds, count); }

    /** The void** kernelParams for cuLaunchKernel. */
    MemorySegment pointers() { return pointers; }

    /** The raw 8 bytes of slot {@code i} (for tests). */
    long rawSlot(int i) { return values.get(ValueLayout.JAVA_LONG, 8L * i); }

    /** Throws IllegalStateException unless the pushed kinds are exactly the kernel's parameters. */
    void check(KernelSignature signature) {
        if (!signature.accepts(kinds, count)) {
            throw new IllegalStateException("kernel " + signature.kernel() + " takes " + Arrays.toString(signature.parameters())
                    + " but the launch passed " + Arrays.toString(kinds()));
        }
    }

    private long slot(Kind kind) {
        if (count == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        kinds[count] = kind;
        // An int or float occupies the low bytes of its slot; zero the slot so tests see clean values.
        values.set(ValueLayout.JAVA_LONG, 8L * count, 0L);
        return 8L * count++;
    }
}
