package io.sparsestep.cli;

import io.sparsestep.nn.ModelCost;
import io.sparsestep.shrink.Shrink;
import io.sparsestep.train.ShrinkRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "shrink", mixinStandardHelpOptions = true,
        description = {"Turn a run whose conv filters or linear rows are exactly zero into the smaller dense network that computes "
                + "the same function (evaluation mode, up to float rounding), and write its weights.safetensors and architecture.json "
                + "to --out, for `eval` and `train --widths FILE --init-from`.",
                "A zero filter's channel is a constant (its bias through batch norm and ReLU): it goes when that constant is 0, or "
                        + "when every consumer can fold it into its bias (a linear layer, an unpadded conv); a channel that residual sums "
                        + "tie goes only if every layer on the path drops it. Prints parameters and multiply-adds before and after."})
public final class ShrinkCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "a run folder (its weights.safetensors, else its checkpoint.safetensors) or such a file")
    Path run;

    @Option(names = "--out", required = true, description = "folder for the smaller model's weights.safetensors and architecture.json")
    Path out;

    @Option(names = "--model", description = "the model the weights belong to (default: what the file's metadata says)")
    String model;

    @Option(names = "--widths", paramLabel = "PRESET|FILE", description = "the widths the weights have (default: what the file records)")
    String widths;

    @Option(names = "--dataset", description = "the dataset it was trained on, for the input size (default: what the file's metadata says)")
    String dataset;

    @Override
    public Integer call() {
        ShrinkRun.Outcome o = ShrinkRun.run(run, out, model, widths, dataset);
        report(o, System.out);
        return 0;
    }

    static void report(ShrinkRun.Outcome o, PrintStream log) {
        Shrink.Result r = o.result();
        String what = o.source().file() + " (" + o.source().model() + " on " + o.dataset() + ")";
        if (o.out() == null) {
            log.println("nothing to remove from " + what + ": " + (r.kept().isEmpty() ? "no conv filter or linear row is exactly zero"
                    : r.zeroFiltersKept() + " zero filters must stay (" + kept(r) + ")") + "; nothing written");
            return;
        }
        List<String> changed = new ArrayList<>();
        int total = 0;
        for (Map.Entry<String, Integer> e : r.before().widths().entrySet()) {
            total += e.getValue();
            int after = r.after().width(e.getKey());
            if (after != e.getValue()) changed.add(e.getKey() + " " + e.getValue() + " -> " + after);
        }
        log.printf(Locale.ROOT, "shrunk %s: %,d of %,d filters removed from %d layers%n", what, r.removedFilters(), total, changed.size());
        for (String c : changed) log.println("  " + c);
        ModelCost b = o.before(), a = o.after();
        log.printf(Locale.ROOT, "parameters %,d -> %,d (%s)%n", b.parameters(), a.parameters(), change(b.parameters(), a.parameters()));
        log.printf(Locale.ROOT, "multiply-adds per sample (MACs, conv and linear layers) %,d -> %,d (%s); FLOPs (2 per multiply-add) %,d -> %,d%n",
                b.macs(), a.macs(), change(b.macs(), a.macs()), b.flops(), a.flops());
        if (!r.kept().isEmpty()) log.println("kept " + r.zeroFiltersKept() + " zero filters: " + kept(r));
        Path weights = o.out().resolve(ShrinkRun.WEIGHTS), arch = o.out().resolve(ShrinkRun.ARCHITECTURE);
        log.println("wrote " + weights + " and " + arch);
        log.println("evaluate: sparsestep eval --weights " + weights + " --dataset " + o.dataset()
                + "; train on: sparsestep train --widths " + arch + " --init-from " + weights + " --dataset " + o.dataset());
    }

    private static String kept(Shrink.Result r) {
        List<String> parts = new ArrayList<>();
        for (Shrink.Kept k : r.kept()) parts.add(k.layer() + " " + k.filters() + ": " + k.reason());
        return String.join("; ", parts);
    }

    private static String change(long before, long after) {
        return String.format(Locale.ROOT, "%+.1f%%", 100.0 * (after - before) / before);
    }
}
