package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.shrink.HostTensors;
import io.sparsestep.shrink.Shrink;
import io.sparsestep.store.NetworkTensors;
import io.sparsestep.train.ShrinkRun;
import io.sparsestep.train.WeightsFile;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code bench --inference}: the wall time of one evaluation-mode forward batch of a trained
 * network and of its shrunk form, on this machine. The shrunk network is a file
 * ({@code --shrunk}, what {@code sparsestep shrink} wrote) or, without one, made in memory by
 * {@link Shrink} from the same weights. Both see the same seeded batch (uniform [0, 1)
 * floats: the time of a dense forward does not depend on the values), so the largest logit
 * difference between them is reported too (the shrink computes the same function, up to float
 * rounding). Each timed pass waits for the backend; the median of {@code repeats} passes after
 * {@code warmup} untimed ones is reported, with the ratio original/shrunk (above 1: the shrunk
 * network is faster).
 */
public final class InferenceComparison {
    /** One network's measurement: its architecture and cost per sample, and every timed pass in milliseconds. */
    public record Timing(Architecture architecture, long parameters, long macs, double[] millis) {
        /** The median pass (the mean of the two middle ones for an even count). */
        public double medianMillis() {
            double[] s = millis.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }
    }

    /** Both measurements, the batch they ran, and the largest |logit difference| on it. */
    public record Result(Path source, String dataset, int batch, Timing original, Timing shrunk, double maxLogitDifference) {
        /** original median / shrunk median. */
        public double speedup() { return original.medianMillis() / shrunk.medianMillis(); }
    }

    /** The network to time: its architecture and how its weights get in. */
    private record Side(Architecture architecture, Consumer<Network> load) {}

    private InferenceComparison() {}

    /**
     * Times {@code original} (a run folder or its weights/checkpoint file) against
     * {@code shrunk} (the same, of the shrunk network; null: shrink {@code original} in memory).
     */
    public static Result run(Path original, Path shrunk, int batch, int warmup, int repeats, Backend backend) {
        if (batch <= 0) throw new IllegalArgumentException("--batch must be positive, got " + batch);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (repeats <= 0) throw new IllegalArgumentException("--repeats must be positive, got " + repeats);
        Path file = ShrinkRun.locate("bench --inference", original);
        WeightsFile source = WeightsFile.describe(file, null, null);
        if (source.dataset() == null) {
            throw new IllegalArgumentException(file + " does not say which dataset it was trained on (no metadata); pass weights that train or shrink wrote");
        }
        Datasets.Shape shape = Datasets.shape(source.dataset());
        Side before = new Side(source.architecture(), net -> NetworkTensors.loadFile(net, file, "--inference"));
        Side after = shrunk != null ? fromFile(shrunk, source) : inMemory(file, source, shape);
        long seed = 42;
        Timed a = time(before, shape, batch, warmup, repeats, seed, backend);
        Timed b = time(after, shape, batch, warmup, repeats, seed, backend);
        double diff = 0;
        for (int i = 0; i < a.logits.length; i++) diff = Math.max(diff, Math.abs((double) a.logits[i] - b.logits[i]));
        return new Result(file, source.dataset(), batch, a.timing, b.timing, diff);
    }

    private static Side fromFile(Path shrunk, WeightsFile source) {
        Path file = ShrinkRun.locate("bench --shrunk", shrunk);
        WeightsFile s = WeightsFile.describe(file, null, null);
        if (!s.model().equals(source.model())) {
            throw new IllegalArgumentException("--shrunk " + file + " holds " + s.model() + ", but --inference " + source.file()
                    + " holds " + source.model() + "; pass the shrink of that run");
        }
        return new Side(s.architecture(), net -> NetworkTensors.loadFile(net, file, "--shrunk"));
    }

    private static Side inMemory(Path file, WeightsFile source, Datasets.Shape shape) {
        Shrink.Result r = Shrink.apply(source.architecture(), shape.input(), shape.classes(), ShrinkRun.read(file), file.toString());
        if (!r.changed()) {
            throw new IllegalArgumentException("bench --inference " + file + ": the shrink removes nothing from it (no removable zero filter), "
                    + "so there is no smaller network to time; pass a run of a structured method (sdprun, l1-filter, slimming)");
        }
        return new Side(r.after(), net -> HostTensors.load(net, r.tensors()));
    }

    private record Timed(Timing timing, float[] logits) {}

    private static Timed time(Side side, Datasets.Shape shape, int batch, int warmup, int repeats, long seed, Backend backend) {
        int[] input = shape.input();
        Architecture arch = side.architecture();
        try (Network net = Network.build(arch.model(), backend, Models.create(arch, input, shape.classes()), input, shape.classes(), batch, seed)) {
            side.load().accept(net);
            SeededBatch.upload(net, batch, new SplittableRandom(seed));
            for (int i = 0; i < warmup; i++) pass(net, batch);
            double[] millis = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                pass(net, batch);
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            ModelCost cost = ModelCost.of(arch, input, shape.classes());
            return new Timed(new Timing(arch, cost.parameters(), cost.macs(), millis), SeededBatch.logits(net, batch, shape.classes()));
        }
    }

    private static void pass(Network net, int batch) {
        net.forward(batch, false);
        net.backend().synchronize();
    }
}
