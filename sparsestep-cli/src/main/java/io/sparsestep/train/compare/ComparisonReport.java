package io.sparsestep.train.compare;

import io.sparsestep.optim.SgdSpec;
import io.sparsestep.train.RunConfig;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.train.io.ComparisonSummary;
import io.sparsestep.train.io.LayerBarChart;
import io.sparsestep.train.io.ParetoChart;
import io.sparsestep.train.io.SparsestepVersion;
import io.sparsestep.train.io.SummaryJson;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.MaskSimilarity;
import io.sparsestep.train.SparsityReport;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * The outputs of a comparison in its top folder: {@code compare.md} (the table), {@code pareto.png}
 * (test accuracy against sparsity, SGD's accuracy as the reference line), {@code layers.png}
 * (per-layer sparsity bars), {@code report.html} (the table and both charts in one file, images
 * inlined, nothing fetched from anywhere) and, last, {@code summary.json}. The charts need a
 * finished run; with none, only the table, the page and the summary are written.
 */
public final class ComparisonReport {
    public static final String TABLE_FILE = "compare.md";
    public static final String HTML_FILE = "report.html";

    /** What every run of the comparison shared, for the headings. */
    public record Setting(String model, String dataset, int trainSamples, int testSamples, int epochs, int batchSize, long seed,
                          String device, String commandLine) {
        public static Setting of(RunConfig cfg, int trainSamples, int testSamples, String device, String commandLine) {
            return new Setting(cfg.model(), cfg.dataset(), trainSamples, testSamples, cfg.epochs(), cfg.batchSize(), cfg.seed(), device,
                    commandLine);
        }

        String title() { return model + " on " + dataset; }

        String describe() {
            return String.format(Locale.ROOT, "%,d train / %,d test images, %d epochs, batch %d, seed %d, on %s; every method started from "
                    + "the same initial weights and saw the same data order", trainSamples, testSamples, epochs, batchSize, seed, device);
        }
    }

    private ComparisonReport() {}

    /** Writes every output into {@code out}, summary.json last; returns the table (markdown) for the console. */
    public static String write(Path out, Setting setting, List<MethodOutcome> outcomes) throws IOException {
        List<MethodOutcome> finished = outcomes.stream().filter(MethodOutcome::finished).toList();
        requireOneModel(finished);
        List<ComparisonTable.Row> rows = ComparisonTable.rows(outcomes);
        String notes = notes(finished);
        byte[] pareto = null, layers = null;
        if (!finished.isEmpty()) {
            pareto = ParetoChart.write(out.resolve(ParetoChart.FILE_NAME), setting.title() + ": test accuracy against sparsity",
                    "sparsity (share of the " + String.format(Locale.ROOT, "%,d", finished.getFirst().mask().size())
                            + " conv/linear weights pruned)", points(finished), reference(finished));
            layers = LayerBarChart.write(out.resolve(LayerBarChart.FILE_NAME), setting.title() + ": sparsity per layer", perLayer(finished));
        }
        String heading = setting.title() + ": " + outcomes.size() + " methods compared";
        String md = "# " + heading + "\n\n" + setting.describe() + ".\n\n" + ComparisonTable.markdown(rows) + "\n" + notes + "\n\n"
                + (finished.isEmpty() ? "" : "Charts: `" + ParetoChart.FILE_NAME + "`, `" + LayerBarChart.FILE_NAME + "`; all in `" + HTML_FILE + "`.\n\n")
                + "Command: `" + setting.commandLine() + "`\n";
        AtomicFiles.write(out.resolve(TABLE_FILE), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        String html = html(heading, setting, rows, notes, pareto, layers);
        AtomicFiles.write(out.resolve(HTML_FILE), o -> o.write(html.getBytes(StandardCharsets.UTF_8)));
        SummaryJson.write(out.resolve(SummaryJson.FILE_NAME), summary(setting, outcomes));
        return ComparisonTable.markdown(rows);
    }

    /** Every finished run's mask of the same tensors: a comparison is of one model, whatever its folders hold. */
    private static void requireOneModel(List<MethodOutcome> finished) {
        if (finished.size() > 1) MaskSimilarity.requireOneModel(finished.stream().map(MethodOutcome::mask).toList());
    }

    static List<ParetoChart.Point> points(List<MethodOutcome> finished) {
        return finished.stream().map(o -> new ParetoChart.Point(o.label(), o.mask().sparsity(), o.summary().testAccuracy())).toList();
    }

    /** SGD's accuracy when SGD is among the finished runs, else no line. */
    static ParetoChart.Reference reference(List<MethodOutcome> finished) {
        return finished.stream().filter(o -> o.method().equals(SgdSpec.METHOD.id())).findFirst()
                .map(o -> new ParetoChart.Reference(o.label(), o.summary().testAccuracy())).orElse(null);
    }

    static LinkedHashMap<String, LinkedHashMap<String, Double>> perLayer(List<MethodOutcome> finished) {
        LinkedHashMap<String, LinkedHashMap<String, Double>> out = new LinkedHashMap<>();
        for (MethodOutcome o : finished) {
            LinkedHashMap<String, Double> layers = new LinkedHashMap<>();
            for (LayerMask l : o.mask().layers()) layers.put(l.layer(), 1 - l.density());
            out.put(o.label(), layers);
        }
        return out;
    }

    private static String notes(List<MethodOutcome> finished) {
        String n = finished.isEmpty() ? "the" : String.format(Locale.ROOT, "the %,d", finished.getFirst().mask().size());
        return "Sparsity: the share of " + n + " conv/linear weights pruned, by the run's mask where the method has one (its "
                + "`mask.prune.*` tensors) or else its exact zeros; biases and batch norm are never pruned. Kept parameters: all "
                + "parameters but the pruned weights. FLOPs: where a run removed structure (`-`: unstructured pruning removes none "
                + "that a dense kernel skips). Time: the run's training and evaluation wall time (over all its sessions when resumed); "
                + "peak memory: what the run held on the backend. Each run is a normal train run in `<out>/<method>/`, resumable "
                + "with `sparsestep resume`.";
    }

    private static String html(String heading, Setting setting, List<ComparisonTable.Row> rows, String notes, byte[] pareto, byte[] layers) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(Html.escape(heading))
                .append("</title>\n<style>\n")
                .append("body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }\n")
                .append("table { border-collapse: collapse; margin: 1em 0; }\n")
                .append("th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: right; }\n")
                .append("th:first-child, td:first-child, tr.failed td { text-align: left; }\n")
                .append("tr.failed td { color: #a00; }\n")
                .append("td:nth-child(2), td:nth-child(5), td:nth-child(6), td:nth-child(7) { white-space: nowrap; }\n")
                .append("img { max-width: 100%; height: auto; border: 1px solid #ddd; }\n")
                .append("code { background: #f4f4f4; padding: 1px 3px; }\n")
                .append("</style>\n</head>\n<body>\n");
        b.append("<h1>").append(Html.escape(heading)).append("</h1>\n<p>").append(Html.escape(setting.describe())).append(".</p>\n");
        b.append(ComparisonTable.html(rows));
        b.append("<p>").append(Html.escape(notes).replace("`", "")).append("</p>\n");
        if (pareto != null) {
            b.append("<h2>Test accuracy against sparsity</h2>\n").append(Html.image("test accuracy against sparsity, one point per method", pareto))
                    .append("\n<h2>Sparsity per layer</h2>\n").append(Html.image("sparsity per layer and method", layers)).append('\n');
        }
        b.append("<p>Command: <code>").append(Html.escape(setting.commandLine())).append("</code></p>\n</body>\n</html>\n");
        return b.toString();
    }

    static ComparisonSummary summary(Setting setting, List<MethodOutcome> outcomes) {
        List<MethodOutcome> finished = outcomes.stream().filter(MethodOutcome::finished).toList();
        List<ComparisonSummary.Entry> entries = outcomes.stream().map(ComparisonReport::entry).toList();
        List<ComparisonSummary.Failure> failures = outcomes.stream().filter(o -> !o.finished())
                .map(o -> new ComparisonSummary.Failure(o.method(), o.label(), o.failure())).toList();
        Long prunable = finished.isEmpty() ? null : finished.getFirst().mask().size();
        return new ComparisonSummary(setting.model(), setting.dataset(), setting.epochs(), setting.seed(), prunable, entries,
                finished.stream().map(MethodOutcome::summary).toList(), failures, setting.commandLine(), SparsestepVersion.get());
    }

    private static ComparisonSummary.Entry entry(MethodOutcome o) {
        String folder = o.config().out().toString();
        if (!o.finished()) {
            return new ComparisonSummary.Entry(o.method(), o.label(), folder, "failed", null, null, null, null, null, null, null, null, o.failure());
        }
        RunMask m = o.mask();
        long pruned = m.size() - m.kept();
        return new ComparisonSummary.Entry(o.method(), o.label(), folder, o.status().name().toLowerCase(Locale.ROOT), o.summary().testAccuracy(),
                m.sparsity(), m.source() == SparsityReport.Source.MASK ? "mask" : "exact_zeros", m.kept(), o.summary().params() - pruned,
                o.summary().params(), o.summary().seconds(), o.summary().peakMemoryBytes(), null);
    }
}
