package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Helpers shared by the CPU backend tests: tensors built from Java arrays (placed at an
 * odd offset inside a larger buffer so no op can rely on aligned or zero-based views),
 * read-back, random data and a tolerance check that names the first bad element.
 */
final class CpuTestSupport {
    /** Views start this many floats into their buffer: not a multiple of any vector width. */
    static final int OFFSET = 3;

    private CpuTestSupport() {
    }

    static Tensor tensor(Backend be, float[] data, int... shape) {
        Buffer b = be.allocate(data.length + OFFSET + 5, "test");
        Tensor t = new Tensor(b, OFFSET, shape);
        if (t.size() != data.length) throw new IllegalArgumentException("shape does not match data");
        be.upload(MemorySegment.ofArray(data), t);
        return t;
    }

    static Tensor zeros(Backend be, int... shape) {
        long size = 1;
        for (int d : shape) size *= d;
        return tensor(be, new float[(int) size], shape);
    }

    static float[] read(Backend be, Tensor t) {
        float[] out = new float[(int) t.size()];
        be.download(t, MemorySegment.ofArray(out));
        return out;
    }

    /** {@code n} NaNs: an output buffer whose every element an op must write. */
    static float[] nans(long n) {
        float[] a = new float[Math.toIntExact(n)];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian());
        return a;
    }

    /** |actual - expected| <= atol + rtol * |expected| for every element. */
    static void assertClose(double[] expected, float[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.abs(expected[i]))) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (error " + err + ")");
            }
        }
    }

    static void assertClose(double expected, double actual, double rtol, double atol, String what) {
        double err = Math.abs(actual - expected);
        if (!(err <= atol + rtol * Math.abs(expected))) {
            fail(what + ": " + actual + ", expected " + expected + " (error " + err + ")");
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
