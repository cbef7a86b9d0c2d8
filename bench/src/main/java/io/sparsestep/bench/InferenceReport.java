package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** {@code bench --inference}: runs {@link InferenceComparison} on the chosen device and prints its lines. */
final class InferenceReport {
    private InferenceReport() {}

    /** Exit code 0; bad input throws (one line, exit 2, from Main). */
    static int run(Path original, Path shrunk, int batch, int repeats, String device) {
        int warmup = Math.max(2, repeats / 5);
        try (Backend backend = Backends.open(device, System.err)) {
            InferenceComparison.Result r = InferenceComparison.run(original, shrunk, batch, warmup, repeats, backend);
            print(r, warmup, backend.description(), System.out);
        }
        return 0;
    }

    static void print(InferenceComparison.Result r, int warmup, String backend, PrintStream out) {
        out.printf(Locale.ROOT, "bench --inference %s (%s on %s): one evaluation-mode forward batch of %d, median of %d passes after %d untimed; %s%n",
                r.source(), r.original().architecture().model(), r.dataset(), r.batch(), r.original().millis().length, warmup, backend);
        line(out, "original", r.original());
        line(out, "shrunk", r.shrunk());
        out.printf(Locale.ROOT, "speedup %.2fx (original median / shrunk median); largest |logit difference| on the batch %.3g%n",
                r.speedup(), r.maxLogitDifference());
    }

    private static void line(PrintStream out, String what, InferenceComparison.Timing t) {
        out.printf(Locale.ROOT, "  %-8s %,d parameters, %,d multiply-adds per sample: median %.2f ms per batch%n",
                what, t.parameters(), t.macs(), t.medianMillis());
    }
}
