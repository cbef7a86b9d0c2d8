package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodOption;
import io.sparsestep.optim.Methods;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.compare.Comparison;
import io.sparsestep.train.compare.ComparisonReport;
import io.sparsestep.train.compare.MethodOutcome;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Train several methods (by default every registered one) on one model and data, from the same initial weights and "
                + "data order, each with its own defaults unless --opt says otherwise; writes a table (compare.md), a Pareto chart "
                + "(pareto.png), per-layer sparsity bars (layers.png), report.html with all of them, and summary.json to --out, each run "
                + "to --out/<method>/. Run again after a kill, it keeps the finished runs and resumes the interrupted one. Exit 0 when "
                + "at least one method finished (failed ones are in the table with their reason), 2 when none did.")
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--methods", split = ",", paramLabel = "METHOD", description = "Methods to compare, comma-separated, in this order "
            + "(default: every registered method, listed below)")
    List<String> methods;

    @Option(names = "--model", description = "lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K (default: ${DEFAULT-VALUE})")
    String model = "lenet300";

    @Option(names = "--opt", paramLabel = "METHOD.OPTION=VALUE", description = "One method's option, e.g. --opt gsm.ratio=0.05 or "
            + "--opt grda.c=0.005 (repeatable); a method takes its own defaults otherwise")
    List<String> opt = new ArrayList<>();

    @Option(names = "--out", description = "Output directory; each run goes to a folder of its method's name in it (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs", "compare");

    @Mixin
    TrainOptions opts = new TrainOptions();

    @Spec
    CommandSpec spec;

    /**
     * In the order of {@code train}: every method and option checked, then the folders (the
     * top one, then every run's) probed and locked, then the data and the backend; the top
     * folder's earlier outputs go just before the first run.
     */
    @Override
    public Integer call() throws IOException {
        List<RunConfig> runs = configs();
        for (RunConfig r : runs) TrainingRun.check(r);
        OutputFolder.checkUsable(out);
        for (RunConfig r : runs) OutputFolder.checkUsable(r.out());
        try (FolderLock _ = FolderLock.acquire(out); Locks _ = Locks.of(runs)) {
            TrainTest data = Datasets.load(opts.dataset, opts.dataDir, opts.seed, opts.trainLimit, opts.testLimit);
            System.out.printf(java.util.Locale.ROOT, "compare: %s on %s (%d train / %d test images), %d methods from the same initial weights and data order: %s%n",
                    model, opts.dataset, data.train().count(), data.test().count(), runs.size(),
                    runs.stream().map(RunConfig::optimizer).collect(Collectors.joining(", ")));
            List<MethodOutcome> outcomes;
            String device;
            try (Backend backend = Backends.open(opts.device, System.err)) {
                device = backend.description();
                OutputFolder.clearPrevious(out, Comparison.OUTPUT_FILES);
                RunSignals.install();
                outcomes = runAll(runs, data, backend);
            }
            // the batch every run trained with (each said so if it was cut to the data)
            int batch = TrainingRun.fitBatchToData(runs.getFirst(), data, new PrintStream(OutputStream.nullOutputStream())).batchSize();
            ComparisonReport.Setting setting = ComparisonReport.Setting.of(runs.getFirst().withBatchSize(batch), data.train().count(),
                    data.test().count(), device, TrainCommand.commandLine(spec));
            String table = ComparisonReport.write(out, setting, outcomes);
            return report(outcomes, table);
        }
    }

    private List<MethodOutcome> runAll(List<RunConfig> runs, TrainTest data, Backend backend) {
        try {
            return Comparison.run(runs, data, backend, System.out, TrainCommand.commandLine(spec));
        } catch (RunStoppedException stopped) {
            System.out.println("compare: stopped; run the same command again to continue the comparison (finished runs are kept, "
                    + "the interrupted one resumes from its checkpoint)");
            throw stopped;
        }
    }

    /** The table on the console; internal errors with their stack; exit 2 when no method finished. */
    private int report(List<MethodOutcome> outcomes, String table) {
        System.out.println();
        System.out.print(table);
        System.out.println("outputs: " + out.resolve(ComparisonReport.TABLE_FILE) + ", " + out.resolve(ComparisonReport.HTML_FILE)
                + ", and the charts and summary.json beside them; each run in " + out.resolve("<method>"));
        for (MethodOutcome o : outcomes) {
            if (o.error() != null && !Main.isBadInput(o.error())) {
                System.err.println("sparsestep: internal error in " + o.method() + ": " + o.failure());
                o.error().printStackTrace(System.err);
            }
        }
        if (outcomes.stream().noneMatch(MethodOutcome::finished)) {
            MethodOutcome first = outcomes.getFirst();
            System.err.println("sparsestep: compare: no method finished (the first, " + first.method() + ": " + first.failure() + "); every "
                    + "reason is in " + out.resolve(ComparisonReport.TABLE_FILE));
            return Main.EXIT_BAD_INPUT;
        }
        return 0;
    }

    /** One run per method, each from its own options; every name and value checked here, before anything is loaded. */
    List<RunConfig> configs() {
        List<String> ids = methodIds();
        Map<String, Map<String, String>> given = methodOptions(opt, ids);
        List<RunConfig> runs = new ArrayList<>();
        for (String id : ids) {
            io.sparsestep.optim.MethodSpec method;
            try {
                method = Methods.parse(id, given.get(id));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(id + ": " + e.getMessage() + " (a method's options are set with --opt " + id + ".OPTION=VALUE)", e);
            }
            runs.add(TrainCommand.config(opts, model, method, out.resolve(id)));
        }
        return runs;
    }

    private List<String> methodIds() {
        // fixed-mask retrains another run's mask (`sparsestep retrain`): without one it is only momentum SGD again
        if (methods == null) return Methods.ALL.stream().filter(m -> m != io.sparsestep.optim.FixedMaskSpec.METHOD).map(Method::id).toList();
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        for (String id : methods) {
            String m = id.strip();
            if (Methods.ALL.stream().noneMatch(x -> x.id().equals(m))) {
                throw new IllegalArgumentException("--methods: unknown method '" + m + "'; known: " + known());
            }
            if (!ids.add(m)) throw new IllegalArgumentException("--methods lists " + m + " twice; give each method once");
        }
        return List.copyOf(ids);
    }

    /**
     * {@code --opt METHOD.OPTION=VALUE} by method: the method must be among the compared ones and
     * take the option; its value is checked by the method's spec.
     */
    static Map<String, Map<String, String>> methodOptions(List<String> opts, List<String> ids) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String id : ids) out.put(id, new LinkedHashMap<>());
        for (String o : opts) {
            int dot = o.indexOf('.'), eq = o.indexOf('=');
            if (dot < 1 || eq < dot + 2) {
                throw new IllegalArgumentException("--opt " + o + ": write METHOD.OPTION=VALUE, e.g. --opt gsm.ratio=0.05");
            }
            String id = o.substring(0, dot), name = "--" + o.substring(dot + 1, eq), value = o.substring(eq + 1);
            Method method = Methods.ALL.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow(
                    () -> new IllegalArgumentException("--opt " + o + ": unknown method '" + id + "'; known: " + known()));
            if (!out.containsKey(id)) {
                throw new IllegalArgumentException("--opt " + o + ": " + id + " is not among the compared methods (" + String.join(", ", ids)
                        + "); add it to --methods or drop the option");
            }
            if (method.option(name).isEmpty()) {
                throw new IllegalArgumentException("--opt " + o + ": " + method.label() + " has no option " + name + "; its options: "
                        + method.options().stream().map(MethodOption::name).collect(Collectors.joining(", ")));
            }
            String before = out.get(id).put(name, value);
            if (before != null) throw new IllegalArgumentException("--opt " + id + "." + name.substring(2) + " is given twice (" + before + " and "
                    + value + "); give it once");
        }
        return out;
    }

    private static String known() {
        return Methods.ALL.stream().map(m -> m.id() + " (" + m.label() + ")").collect(Collectors.joining(", "));
    }

    /** The help's footer: every method with its options, from the registry. */
    static String[] footer() {
        List<String> lines = new ArrayList<>(List.of("", "Methods and their options (--opt METHOD.OPTION=VALUE; meanings and defaults: "
                + "sparsestep train --help):"));
        for (Method m : Methods.ALL) {
            lines.add("  " + m.id() + " (" + m.label() + "): " + m.options().stream().map(o -> o.name().substring(2)).collect(Collectors.joining(", ")));
        }
        return lines.toArray(String[]::new);
    }

    /** Every run folder's lock, held together and released in reverse order. */
    private record Locks(List<FolderLock> held) implements AutoCloseable {
        static Locks of(List<RunConfig> runs) {
            List<FolderLock> held = new ArrayList<>();
            try {
                for (RunConfig r : runs) held.add(FolderLock.acquire(r.out()));
                return new Locks(held);
            } catch (RuntimeException e) {
                new Locks(held).close();
                throw e;
            }
        }

        @Override
        public void close() {
            for (FolderLock l : held.reversed()) l.close();
        }
    }
}
