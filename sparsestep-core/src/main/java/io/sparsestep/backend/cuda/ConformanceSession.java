package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cuda.ConformanceChecks.Kind;
import io.sparsestep.backend.cuda.ConformanceChecks.Result;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The harness one {@link ConformanceChecks.Check} runs in: both backends, the seeded random
 * source, the buffers to free afterwards, and the error statistics of every output compared
 * so far. Every view it creates sits in a fresh buffer between guard words holding a
 * sentinel; {@link #compare} fails an output whose backend under test changed a guard.
 */
public final class ConformanceSession implements AutoCloseable {
    static final float GUARD = 1234.5f;
    private static final int GUARD_WORDS = 2;

    final String check;
    final Backend tested;
    final Backend reference;
    final SplittableRandom random;
    String variant = "";
    private final List<Buffer> buffers = new ArrayList<>();
    private final Map<String, Accumulator> outputs = new LinkedHashMap<>();
    private final Set<String> reachedPaths = new LinkedHashSet<>();

    ConformanceSession(String check, Backend tested, Backend reference, SplittableRandom random) {
        this.check = check;
        this.tested = tested;
        this.reference = reference;
        this.random = random;
    }

    /** Runs an op on the backend under test, then on the reference. */
    void both(Consumer<Backend> op) {
        op.accept(tested);
        op.accept(reference);
    }

    float[] uniform(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (2 * random.nextDouble() - 1);
        return v;
    }

    Twin random(int offset, int... shape) {
        return twin(uniform(product(shape)), offset, shape);
    }

    Twin constant(float value, int offset, int... shape) {
        float[] v = new float[product(shape)];
        java.util.Arrays.fill(v, value);
        return twin(v, offset, shape);
    }

    /** A view of {@code data} at word {@code offset} of a fresh buffer on each backend, guard words around it. */
    Twin twin(float[] data, int offset, int... shape) {
        return new Twin(place(tested, data, offset, shape), place(reference, data, offset, shape), tested);
    }

    /** Workspaces of each backend's own size (contents are scratch: zero-filled by allocate, no upload, no guards). */
    Twin workspace(long testedWords, long referenceWords, int offset) {
        return new Twin(scratch(tested, testedWords, offset), scratch(reference, referenceWords, offset), tested);
    }

    private Tensor scratch(Backend b, long words, int offset) {
        Buffer buf = b.allocate(offset + words, "conformance." + check + ".workspace");
        buffers.add(buf);
        return new Tensor(buf, offset, Math.toIntExact(words));
    }

    private Tensor place(Backend b, float[] data, int offset, int... shape) {
        int total = offset + data.length + GUARD_WORDS;
        float[] whole = new float[total];
        java.util.Arrays.fill(whole, GUARD);
        System.arraycopy(data, 0, whole, offset, data.length);
        Buffer buf = b.allocate(total, "conformance." + check);
        buffers.add(buf);
        write(b, new Tensor(buf, 0, total), whole);
        return new Tensor(buf, offset, shape);
    }

    /** A u8 view of {@code data} (a mask) at byte {@code offset} of a fresh buffer on each backend, guard bytes around it. */
    Twin bytesTwin(byte[] data, int offset) {
        return new Twin(placeBytes(tested, data, offset), placeBytes(reference, data, offset), tested);
    }

    private Tensor placeBytes(Backend b, byte[] data, int offset) {
        long bytes = offset + data.length + 4L * GUARD_WORDS;
        long words = (bytes + 3) / 4;
        byte[] whole = guardBytes(Math.toIntExact(4 * words));
        System.arraycopy(data, 0, whole, offset, data.length);
        Buffer buf = b.allocate(words, "conformance." + check);
        buffers.add(buf);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(whole.length, 16);
            MemorySegment.copy(whole, 0, host, ValueLayout.JAVA_BYTE, 0, whole.length);
            b.upload(host, new Tensor(buf, DType.U8, 0, whole.length));
        }
        return new Tensor(buf, DType.U8, offset, data.length);
    }

    /** {@code length} bytes of the guard word pattern, as the f32 guards hold it. */
    private static byte[] guardBytes(int length) {
        byte[] out = new byte[length];
        int bits = Float.floatToRawIntBits(GUARD);
        for (int i = 0; i < length; i++) out[i] = (byte) (bits >>> (8 * (i % 4)));
        return out;
    }

    byte[] readBytes(Backend b, Tensor t) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, t.byteSize()), 16);
            b.download(t, host);
            return host.asSlice(0, t.byteSize()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Compares a u8 view on both backends byte for byte, and checks the tested backend kept its guard bytes. */
    void compareBytes(String output, Twin t) {
        byte[] got = readBytes(tested, t.tested), want = readBytes(reference, t.reference);
        Tensor whole = new Tensor(t.tested.buffer(), DType.U8, 0, Math.toIntExact(4 * t.tested.buffer().words()));
        byte[] all = readBytes(tested, whole), guards = guardBytes(all.length);
        int start = Math.toIntExact(t.tested.offset()), end = start + got.length;
        Accumulator acc = outputs.computeIfAbsent(output, o -> new Accumulator(Tolerance.BITWISE));
        for (int i = 0; i < all.length; i++) {
            if ((i < start || i >= end) && all[i] != guards[i]) {
                acc.fail(variant + ": wrote outside its view at byte " + (i - start) + " of the view");
                return;
            }
        }
        for (int i = 0; i < got.length; i++) {
            if (got[i] != want[i]) {
                acc.absError = Math.max(acc.absError, Math.abs(got[i] - want[i]));
                acc.fail(variant + ": first difference at " + i + ": got " + got[i] + ", expected " + want[i]);
                return;
            }
        }
    }

    /** Compares two doubles to a relative bound (not through float: the reductions return doubles). */
    void compareDouble(String output, double testedValue, double referenceValue, double relativeBound) {
        Accumulator acc = outputs.computeIfAbsent(output, o -> new Accumulator(Tolerance.relative(relativeBound)));
        double abs = Math.abs(testedValue - referenceValue);
        double rel = abs == 0 ? 0 : abs / Math.max(Math.abs(referenceValue), Double.MIN_NORMAL);
        if (Double.isNaN(testedValue) != Double.isNaN(referenceValue)) rel = Double.POSITIVE_INFINITY;
        acc.absError = Math.max(acc.absError, Double.isNaN(abs) ? 0 : abs);
        acc.relError = Math.max(acc.relError, Double.isNaN(rel) ? 0 : rel);
        if (!(rel <= relativeBound) && !(Double.isNaN(testedValue) && Double.isNaN(referenceValue))) {
            acc.fail(variant + ": got " + testedValue + ", expected " + referenceValue);
        }
    }

    void upload(Twin t, float[] data) {
        write(tested, t.tested, data);
        write(reference, t.reference, data);
    }

    private static void write(Backend b, Tensor t, float[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * Math.max(1, data.length), 16);
            MemorySegment.copy(data, 0, host, ValueLayout.JAVA_FLOAT, 0, data.length);
            b.upload(host, t);
        }
    }

    float[] read(Backend b, Tensor t) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * Math.max(1, t.size()), 16);
            b.download(t, host);
            float[] out = new float[Math.toIntExact(t.size())];
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
            return out;
        }
    }

    /** Compares a view's contents on both backends, and checks the tested backend kept its guard words. */
    void compare(String output, Twin t, Tolerance tol) {
        float[] got = read(tested, t.tested), want = read(reference, t.reference);
        accumulate(output, tol, got, want, guardNote(t));
    }

    /**
     * Checks only that the tested backend kept the guard words around a view whose contents
     * the backends lay out differently (a scratch), so they cannot be compared.
     */
    void checkGuards(String output, Twin t) {
        String note = guardNote(t);
        Accumulator acc = outputs.computeIfAbsent(output + " guards", o -> new Accumulator(Tolerance.BITWISE));
        if (!note.isEmpty()) acc.fail(variant + ": " + note);
    }

    /** Empty when the tested backend's guard words around the view are intact, else where one changed. */
    private String guardNote(Twin t) {
        Tensor whole = new Tensor(t.tested.buffer(), 0, Math.toIntExact(t.tested.buffer().words()));
        float[] all = read(tested, whole);
        long start = t.tested.offset(), end = start + t.tested.size();
        for (int i = 0; i < all.length; i++) {
            if ((i < start || i >= end) && Float.floatToRawIntBits(all[i]) != Float.floatToRawIntBits(GUARD)) {
                return "wrote outside its view at word " + (i - start) + " of the view";
            }
        }
        return "";
    }

    void compareScalar(String output, double testedValue, double referenceValue, Tolerance tol) {
        accumulate(output, tol, new float[] {(float) testedValue}, new float[] {(float) referenceValue}, "");
        if (tol.kind() == Kind.BITWISE && testedValue != referenceValue && !(Double.isNaN(testedValue) && Double.isNaN(referenceValue))) {
            outputs.get(output).fail(variant + ": got " + testedValue + ", expected " + referenceValue);
        }
    }

    private void accumulate(String output, Tolerance tol, float[] got, float[] want, String guardNote) {
        Accumulator acc = outputs.computeIfAbsent(output, o -> new Accumulator(tol));
        Comparison c = Comparison.of(got, want, tol);
        acc.absError = Math.max(acc.absError, c.maxAbs);
        acc.relError = Math.max(acc.relError, c.maxRel);
        if (!guardNote.isEmpty()) acc.fail(variant + ": " + guardNote);
        else if (!c.passed) acc.fail(variant + ": " + c.note);
    }

    /** Notes that a code path of the kernel under test ran (see {@link #requireReached}). */
    void reached(String path) {
        reachedPaths.add(path);
    }

    /**
     * Adds a result that lists the paths reached, and fails unless every one of {@code paths}
     * was: a check whose inputs stopped exercising a path would otherwise still pass.
     */
    void requireReached(String output, List<String> paths) {
        List<String> missing = paths.stream().filter(p -> !reachedPaths.contains(p)).toList();
        Accumulator acc = outputs.computeIfAbsent(output, o -> new Accumulator(Tolerance.BITWISE));
        acc.reached = "reached: " + String.join(", ", reachedPaths);
        if (!missing.isEmpty()) acc.fail("never reached: " + String.join(", ", missing));
    }

    List<Result> results() {
        List<Result> out = new ArrayList<>();
        for (Map.Entry<String, Accumulator> e : outputs.entrySet()) {
            Accumulator a = e.getValue();
            String note = a.failure != null ? a.failure : a.reached != null ? a.reached : "";
            out.add(new Result(check + "." + e.getKey(), a.absError, a.relError, a.tolerance, a.failure == null, note));
        }
        return out;
    }

    @Override
    public void close() {
        for (Buffer b : buffers) {
            try {
                b.close();
            } catch (RuntimeException ignored) {
                // keep freeing
            }
        }
        buffers.clear();
    }

    private static int product(int... shape) {
        int p = 1;
        for (int d : shape) p *= d;
        return p;
    }

    /** The same logical tensor on the backend under test and on the reference. */
    public record Twin(Tensor tested, Tensor reference, Backend testedBackend) {
        Tensor on(Backend b) {
            return b == testedBackend ? tested : reference;
        }
    }

    private static final class Accumulator {
        final Tolerance tolerance;
        double absError;
        double relError;
        String failure;
        String reached;

        Accumulator(Tolerance tolerance) {
            this.tolerance = tolerance;
        }

        void fail(String why) {
            if (failure == null) failure = why;
        }
    }

    /** Error statistics of one output array against its reference. */
    record Comparison(double maxAbs, double maxRel, boolean passed, String note) {
        static Comparison of(float[] got, float[] want, Tolerance tol) {
            if (got.length != want.length) return new Comparison(Double.NaN, Double.NaN, false, "lengths differ: " + got.length + " vs " + want.length);
            double maxAbs = 0, scale = 0;
            int bitMismatch = -1, nanMismatch = -1;
            for (int i = 0; i < got.length; i++) {
                boolean gn = Float.isNaN(got[i]), wn = Float.isNaN(want[i]);
                if (gn || wn) {
                    if (gn != wn && nanMismatch < 0) nanMismatch = i;
                    continue;
                }
                // bit-equal is no error (inf - inf would be NaN)
                boolean same = Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(want[i]);
                maxAbs = Math.max(maxAbs, same ? 0 : Math.abs((double) got[i] - want[i]));
                scale = Math.max(scale, Math.abs((double) want[i]));
                if (bitMismatch < 0 && Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) bitMismatch = i;
            }
            double maxRel = maxAbs == 0 ? 0 : maxAbs / Math.max(Math.max(scale, tol.floor()), Double.MIN_NORMAL);
            if (nanMismatch >= 0) {
                return new Comparison(maxAbs, maxRel, false, "NaN mismatch at " + nanMismatch + ": got " + got[nanMismatch]
                        + ", expected " + want[nanMismatch]);
            }
            if (tol.kind() == Kind.BITWISE) {
                return bitMismatch < 0 ? new Comparison(maxAbs, maxRel, true, "")
                        : new Comparison(maxAbs, maxRel, false, "first difference at " + bitMismatch + ": got " + got[bitMismatch]
                                + ", expected " + want[bitMismatch]);
            }
            return maxRel <= tol.bound() ? new Comparison(maxAbs, maxRel, true, "")
                    : new Comparison(maxAbs, maxRel, false, String.format(Locale.ROOT, "relative error %.3e > %.0e", maxRel, tol.bound()));
        }
    }
}
