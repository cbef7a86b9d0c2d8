package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Prints the CPU backend's GEMM and convolution throughput; not a test (timings depend on
 * the machine), run by hand:
 * <pre>
 * mvn -q -o test-compile
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp target/classes:target/test-classes io.sparsestep.backend.cpu.CpuGemmBenchmark [threads...]
 * </pre>
 * Each shape is warmed up for a second (the Vector API is slow until C2 compiles it), then
 * timed for about two seconds; the best of three rounds is printed.
 */
public final class CpuGemmBenchmark {
    private CpuGemmBenchmark() {
    }

    public static void main(String[] args) {
        int[] threads = args.length == 0 ? new int[]{1, Runtime.getRuntime().availableProcessors()} : new int[args.length];
        for (int i = 0; i < args.length; i++) threads[i] = Integer.parseInt(args[i]);
        // {m, n, k, transA, transB}: square, then LeNet-300-100's first layer at batch 128
        // (forward, backward data, backward filter), then a VGG-style conv as one GEMM.
        int[][] shapes = {{512, 512, 512, 0, 0}, {128, 300, 784, 0, 1}, {128, 784, 300, 0, 0}, {300, 784, 128, 1, 0},
                {128, 1024, 1152, 0, 0}};
        for (int t : threads) {
            try (CpuBackend be = new CpuBackend(t)) {
                for (int[] s : shapes) gemm(be, s[0], s[1], s[2], s[3] != 0, s[4] != 0);
                conv(be, new ConvGeometry(32, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1));
                lenetStep(be);
            }
        }
    }

    private static Tensor random(CpuBackend be, Random r, int n) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = r.nextFloat() - 0.5f;
        Tensor t = new Tensor(be.allocate(n, "bench"), 0, n);
        be.upload(MemorySegment.ofArray(data), t);
        return t;
    }

    private static void gemm(CpuBackend be, int m, int n, int k, boolean ta, boolean tb) {
        Random r = new Random(1);
        Tensor a = random(be, r, m * k), b = random(be, r, k * n), c = random(be, r, m * n);
        double flops = 2.0 * m * n * k;
        double best = time(() -> be.gemm(ta, tb, m, n, k, 1f, a, b, 0f, c), flops);
        System.out.printf("gemm %4d x %4d x %4d tA=%-5b tB=%-5b %2d threads: %6.1f GFLOP/s%n", m, n, k, ta, tb, be.threads(), best);
    }

    private static void conv(CpuBackend be, ConvGeometry g) {
        Random r = new Random(2);
        Tensor x = random(be, r, (int) g.inputSize()), w = random(be, r, (int) g.filterSize());
        Tensor y = random(be, r, (int) g.outputSize()), ws = random(be, r, (int) be.convWorkspaceWords(g));
        Tensor dx = random(be, r, (int) g.inputSize()), dw = random(be, r, (int) g.filterSize());
        double flops = 2.0 * g.outputSize() * g.c() * g.r() * g.s();
        System.out.printf("conv fwd  %s %2d threads: %6.1f GFLOP/s%n", g, be.threads(), time(() -> be.convForward(g, x, w, y, ws), flops));
        System.out.printf("conv bwdD %s %2d threads: %6.1f GFLOP/s%n", g, be.threads(), time(() -> be.convBackwardData(g, y, w, dx, ws), flops));
        System.out.printf("conv bwdF %s %2d threads: %6.1f GFLOP/s%n", g, be.threads(), time(() -> be.convBackwardFilter(g, x, y, dw, ws), flops));
    }

    /**
     * One training step of LeNet-300-100 at batch 128 (forward, backward, a gRDA step on
     * all 266,610 parameters) as the training loop issues it, to estimate an epoch.
     */
    static void lenetStep(CpuBackend be) {
        Random r = new Random(3);
        int b = 128;
        int[] widths = {784, 300, 100, 10};
        Tensor[] act = new Tensor[4], grad = new Tensor[4], w = new Tensor[3], bias = new Tensor[3];
        Tensor[] dw = new Tensor[3], db = new Tensor[3], accW = new Tensor[3], accB = new Tensor[3];
        for (int l = 0; l < 4; l++) {
            act[l] = random(be, r, b * widths[l]);
            grad[l] = random(be, r, b * widths[l]);
        }
        for (int l = 0; l < 3; l++) {
            w[l] = random(be, r, widths[l + 1] * widths[l]);
            dw[l] = random(be, r, widths[l + 1] * widths[l]);
            accW[l] = random(be, r, widths[l + 1] * widths[l]);
            bias[l] = random(be, r, widths[l + 1]);
            db[l] = random(be, r, widths[l + 1]);
            accB[l] = random(be, r, widths[l + 1]);
        }
        float[] labels = new float[b];
        for (int i = 0; i < b; i++) labels[i] = r.nextInt(10);
        Tensor lab = new Tensor(be.allocate(b, "labels"), 0, b), res = random(be, r, 2);
        be.upload(MemorySegment.ofArray(labels), lab);
        Runnable step = () -> {
            for (int l = 0; l < 3; l++) {
                be.gemm(false, true, b, widths[l + 1], widths[l], 1f, act[l], w[l], 0f, act[l + 1]);
                be.elementwise().addBias(act[l + 1], bias[l], b, widths[l + 1], 1);
                if (l < 2) be.elementwise().reluForward(act[l + 1], act[l + 1]);
            }
            be.loss().softmaxCrossEntropy(act[3], lab, b, 10, grad[3], 1f / b, res);
            for (int l = 2; l >= 0; l--) {
                be.gemm(true, false, widths[l + 1], widths[l], b, 1f, grad[l + 1], act[l], 0f, dw[l]);
                be.elementwise().biasGradient(grad[l + 1], db[l], b, widths[l + 1], 1);
                if (l > 0) {
                    be.gemm(false, false, b, widths[l], widths[l + 1], 1f, grad[l + 1], w[l], 0f, grad[l]);
                    be.elementwise().reluBackward(act[l], grad[l], grad[l]);
                }
            }
            for (int l = 0; l < 3; l++) {
                be.steps().grda(w[l], dw[l], accW[l], 0.01f, 1e-4f, null);
                be.steps().grda(bias[l], db[l], accB[l], 0.01f, 1e-4f, null);
            }
        };
        double stepsPerSecond = time(step, 1e9) ;
        System.out.printf("LeNet-300-100 step, batch 128, %2d threads: %6.2f ms (%.1f s per 60k-sample epoch)%n",
                be.threads(), 1e3 / stepsPerSecond, 469 / stepsPerSecond);
    }

    /** Best GFLOP/s of three ~0.7 s rounds after a 1 s warm-up. */
    private static double time(Runnable op, double flops) {
        long warm = System.nanoTime();
        while (System.nanoTime() - warm < 1_000_000_000L) op.run();
        double best = 0;
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            int reps = 0;
            while (System.nanoTime() - start < 700_000_000L) {
                op.run();
                reps++;
            }
            best = Math.max(best, flops * reps / (System.nanoTime() - start));
        }
        return best;
    }
}
