package io.sparsestep.train.tune;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.data.ValidationSplit;
import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.compare.Comparison;
import io.sparsestep.train.compare.MethodOutcome;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.train.io.SparsestepVersion;
import io.sparsestep.train.io.SummaryJson;
import io.sparsestep.train.io.TuneChart;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sparsestep tune}: the largest c that keeps a method's accuracy, found by
 * {@link CSearch} on a validation split carved from the training data
 * ({@link ValidationSplit}). The reference is SGD without momentum at the method's learning
 * rate (what gRDA with c = 0 is, bit for bit), trained from the same init and data order; each
 * c is an ordinary run folder ({@code <dir>/c-<c>}, the reference in {@code <dir>/sgd}) whose
 * "test" split is the validation split, so a killed tune run again keeps its finished trials
 * and resumes the interrupted one. Writes {@code tune.md}, {@code tune.png} and, last,
 * {@code tune.json}.
 */
public final class Tuning {
    public static final String TABLE_FILE = "tune.md";
    public static final String JSON_FILE = "tune.json";
    /** The settings a tune folder's trials were run with; another tune in the same folder is refused. */
    public static final String SETTINGS_FILE = "tune-settings.txt";
    static final String C_OPTION = "--c";

    /** What to tune: {@code base} (its method must take --c; its out is the tune folder), the validation share and the search. */
    public record Request(RunConfig base, double validationFraction, CSearch search) {
        public Request {
            requireTunable(base.method().method());
            ValidationSplit.size(1, validationFraction);
        }

        public Path dir() { return base.out(); }
    }

    /** The search's result and the summary written. */
    public record Outcome(CSearch.Result result, TuneSummary summary) {
        /** The c chosen; throws the one-line reason when none kept the accuracy. */
        public double chosenC() {
            if (result.chosen() == null) {
                CSearch.Trial first = result.trials().getFirst();
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "no c kept the validation accuracy within %s points of SGD's %.4f: c = %s already gives %s; lower --c-start or raise --tolerance",
                        CSearch.text(summary.search().tolerancePoints()), result.referenceAccuracy(), CSearch.text(first.c()),
                        first.finished() ? String.format(Locale.ROOT, "%.4f", first.accuracy()) : "a failed run (" + first.failure() + ")"));
            }
            return result.chosen().c();
        }
    }

    private Tuning() {}

    /** The methods with a threshold scale c to tune, for messages. */
    public static List<String> tunableMethods() {
        return Methods.ALL.stream().filter(m -> m.option(C_OPTION).isPresent()).map(Method::id).toList();
    }

    static void requireTunable(Method m) {
        if (m.option(C_OPTION).isEmpty()) {
            throw new IllegalArgumentException("--method " + m.id() + " has no --c to tune; tune takes " + String.join(" or ", tunableMethods()));
        }
    }

    /** Runs the search (resuming a killed one in the same folder) and writes its outputs. */
    public static Outcome run(Request req, TrainTest full, Backend backend, PrintStream log, String commandLine) {
        RunConfig base = req.base();
        TrainTest data = ValidationSplit.carve(full, req.validationFraction(), base.seed());
        claimFolder(req);
        log.printf(Locale.ROOT, "tune %s on %s/%s: %d training and %d validation images (%s of the training split; the test split is not used); %s%n",
                base.optimizer(), base.model(), base.dataset(), data.train().count(), data.test().count(),
                CSearch.text(req.validationFraction()), req.search().describe());

        Map<String, String> sgdOptions = new LinkedHashMap<>();
        sgdOptions.put("--lr", base.method().options().get("--lr"));
        sgdOptions.put("--momentum", "0");
        RunConfig sgd = base.withMethod(Methods.parse("sgd", sgdOptions), req.dir().resolve("sgd"));
        MethodOutcome ref = Comparison.runOne("[reference] sgd", sgd, data, backend, log, commandLine);
        if (!ref.finished()) throw new IllegalStateException("the reference SGD run failed: " + ref.failure());
        double refAccuracy = ref.summary().testAccuracy();
        log.printf(Locale.ROOT, "reference SGD (lr %s, no momentum): validation accuracy %.4f%n", sgdOptions.get("--lr"), refAccuracy);

        Map<Double, String> folders = new LinkedHashMap<>();
        CSearch.Result result = req.search().search(refAccuracy, c -> {
            RunConfig cfg = withC(base, c, req.dir().resolve("c-" + CSearch.text(c)));
            folders.put(c, req.dir().relativize(cfg.out()).toString());
            MethodOutcome o = Comparison.runOne("[c " + CSearch.text(c) + "]", cfg, data, backend, log, commandLine);
            CSearch.Trial t = o.finished()
                    ? new CSearch.Trial(c, o.summary().testAccuracy(), o.summary().sparsity(), o.mask().sparsity(), null)
                    : CSearch.Trial.failed(c, o.failure());
            log.println(line(t, req.search(), refAccuracy));
            return t;
        });
        TuneSummary summary = summary(req, data, sgd, ref, result, folders, commandLine);
        write(req, summary, result, log);
        return new Outcome(result, summary);
    }

    /** {@code base} with its method's --c set to {@code c}, written to {@code out}. */
    public static RunConfig withC(RunConfig base, double c, Path out) {
        Map<String, String> options = new LinkedHashMap<>(base.method().options());
        options.put(C_OPTION, CSearch.text(c));
        MethodSpec spec = Methods.parse(base.optimizer(), options);
        return base.withMethod(spec, out);
    }

    private static String line(CSearch.Trial t, CSearch search, double ref) {
        if (!t.finished()) return "c " + CSearch.text(t.c()) + ": failed (" + t.failure() + "): too large";
        return String.format(Locale.ROOT, "c %s: validation accuracy %.4f (%+.2f points vs SGD), sparsity %.4f of all parameters, %.4f of conv/linear weights: %s",
                CSearch.text(t.c()), t.accuracy(), 100 * (t.accuracy() - ref), t.sparsity(), t.weightSparsity(),
                search.passes(t, ref) ? "keeps the accuracy" : "too large");
    }

    /**
     * The trials in {@code dir} are only valid for one run setting and validation carve (the
     * carve is not in a run's own configuration): the first tune writes them, a tune of another
     * setting is refused (before any data is loaded, when the command calls this first). The
     * search's own settings may change: a trial is found again by its c, so a longer or finer
     * search reuses the trials it shares.
     */
    public static void claimFolder(Request req) {
        String settings = settings(req);
        Path file = req.dir().resolve(SETTINGS_FILE);
        try {
            Files.createDirectories(req.dir());
            if (Files.isRegularFile(file)) {
                String old = Files.readString(file, StandardCharsets.UTF_8);
                if (!old.equals(settings)) {
                    throw new IllegalArgumentException(req.dir() + " holds a tune of other settings (" + firstDifference(old, settings)
                            + "); pass another --out, or delete the folder to start over");
                }
                return;
            }
            AtomicFiles.write(file, out -> out.write(settings.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** One setting per line: the run without its c, and the validation carve. */
    static String settings(Request req) {
        List<String> args = new ArrayList<>(req.base().toArgs());
        args.removeIf(a -> a.startsWith(C_OPTION + "="));
        return "run " + String.join(" ", args) + "\nvalidation " + CSearch.text(req.validationFraction()) + " of the training images\n";
    }

    private static String firstDifference(String old, String now) {
        String[] a = old.split("\n"), b = now.split("\n");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (!a[i].equals(b[i])) return "was: " + a[i] + "; now: " + b[i];
        }
        return "a setting was added or removed";
    }

    private static TuneSummary summary(Request req, TrainTest data, RunConfig sgd, MethodOutcome ref, CSearch.Result result,
                                       Map<Double, String> folders, String commandLine) {
        RunConfig base = req.base();
        List<TuneSummary.TrialEntry> trials = result.trials().stream().map(t -> new TuneSummary.TrialEntry(t.c(), folders.get(t.c()),
                t.finished() ? t.accuracy() : null, t.finished() ? t.sparsity() : null, t.finished() ? t.weightSparsity() : null,
                req.search().passes(t, result.referenceAccuracy()), t.failure())).toList();
        Map<String, String> options = new LinkedHashMap<>(base.method().options());
        options.remove(C_OPTION);
        return new TuneSummary(base.model(), base.dataset(), base.optimizer(), options, base.epochs(), base.seed(), req.validationFraction(),
                data.test().count(), data.train().count(), TuneSummary.Search.of(req.search()),
                new TuneSummary.Reference("sgd", sgd.method().options(), req.dir().relativize(sgd.out()).toString(), ref.summary().testAccuracy()),
                trials, result.chosen() == null ? null : result.chosen().c(), result.hitLimit(), commandLine, SparsestepVersion.get());
    }

    private static void write(Request req, TuneSummary summary, CSearch.Result result, PrintStream log) {
        Path dir = req.dir();
        try {
            String table = TuneTable.markdown(summary);
            AtomicFiles.write(dir.resolve(TABLE_FILE), out -> out.write(table.getBytes(StandardCharsets.UTF_8)));
            List<TuneChart.Point> points = summary.trials().stream().filter(t -> t.failure() == null)
                    .map(t -> new TuneChart.Point(t.c(), t.validationAccuracy(), t.sparsity(), t.weightSparsity())).toList();
            if (!points.isEmpty()) {
                TuneChart.write(dir.resolve(TuneChart.FILE_NAME), String.format(Locale.ROOT, "tune %s on %s/%s", summary.method(),
                        summary.model(), summary.dataset()), points, summary.reference().validationAccuracy(),
                        summary.search().tolerancePoints(), summary.chosenC());
            }
            // last: its presence says the tune finished
            SummaryJson.writeJson(dir.resolve(JSON_FILE), summary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tune outputs to " + dir + ": " + e.getMessage(), e);
        }
        log.print(TuneTable.markdown(summary));
        if (result.chosen() != null) {
            log.printf(Locale.ROOT, "chosen: --c %s%s (table %s, chart %s)%n", CSearch.text(result.chosen().c()),
                    result.hitLimit() ? " (every c tried kept the accuracy: raise --max-trials to look further)" : "",
                    dir.resolve(TABLE_FILE), dir.resolve(TuneChart.FILE_NAME));
        }
    }
}
