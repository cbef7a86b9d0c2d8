package io.sparsestep.train.compare;

import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.SparsityReport;
import io.sparsestep.train.masks.RunMask;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison's table, one row per method in the order run: test accuracy; sparsity with
 * what it counts (the conv/linear weights, by the run's mask or its exact zeros); kept
 * parameters of all parameters; FLOPs where a run reports removed structure; time; peak
 * memory; and for a failed method its reason, the other cells "-".
 */
final class ComparisonTable {
    static final List<String> HEADER = List.of("method", "test accuracy", "sparsity", "kept parameters", "FLOPs", "time", "peak memory",
            "failure");
    /** The key under a run's summary hyperparameters where a method that removes structure reports {dense, remaining} FLOPs. */
    static final String FLOPS_KEY = "flops";
    private static final String NONE = "-";

    private ComparisonTable() {}

    /** The cells of one row, as text. */
    record Row(List<String> cells) {
        Row {
            cells = List.copyOf(cells);
            if (cells.size() != HEADER.size()) throw new IllegalArgumentException(cells.size() + " cells for " + HEADER.size() + " columns");
        }

        boolean failed() { return !cells.getLast().isEmpty(); }
    }

    static List<Row> rows(List<MethodOutcome> outcomes) {
        List<Row> rows = new ArrayList<>();
        for (MethodOutcome o : outcomes) {
            if (!o.finished()) {
                rows.add(new Row(List.of(o.label(), NONE, NONE, NONE, NONE, NONE, NONE, o.failure())));
                continue;
            }
            RunSummary s = o.summary();
            RunMask m = o.mask();
            rows.add(new Row(List.of(o.label(), f4(s.testAccuracy()), sparsity(m), keptParameters(s, m), flops(s.hyperparameters()),
                    String.format(Locale.ROOT, "%.1f s", s.seconds()), mebibytes(s.peakMemoryBytes()), "")));
        }
        return rows;
    }

    /** "0.9500 of 266,200 conv/linear weights (mask)". */
    static String sparsity(RunMask m) {
        return String.format(Locale.ROOT, "%.4f of %,d conv/linear weights (%s)", m.sparsity(), m.size(),
                m.source() == SparsityReport.Source.MASK ? "mask" : "exact zeros");
    }

    /** All parameters but the pruned weights, of all parameters: biases and batch norm are never pruned. */
    static String keptParameters(RunSummary s, RunMask m) {
        long pruned = m.size() - m.kept();
        return String.format(Locale.ROOT, "%,d of %,d", s.params() - pruned, s.params());
    }

    /**
     * "-" unless the run reports {@code hyperparameters.flops} as {@code {"dense": D, "remaining": R}}
     * (a method that removes whole filters or neurons); unstructured pruning removes no FLOPs
     * a dense kernel would skip.
     */
    static String flops(Map<String, Object> hyperparameters) {
        if (hyperparameters.get(FLOPS_KEY) instanceof Map<?, ?> f && f.get("dense") instanceof Number dense
                && f.get("remaining") instanceof Number remaining && dense.doubleValue() > 0) {
            return String.format(Locale.ROOT, "%,d of %,d (%.1f%%)", remaining.longValue(), dense.longValue(),
                    100 * remaining.doubleValue() / dense.doubleValue());
        }
        return NONE;
    }

    static String mebibytes(long bytes) { return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0)); }

    static String markdown(List<Row> rows) {
        StringBuilder out = new StringBuilder("| " + String.join(" | ", HEADER) + " |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            out.append("| ").append(String.join(" | ", r.cells().stream().map(ComparisonTable::markdownCell).toList())).append(" |\n");
        }
        return out.toString();
    }

    /** The same table in HTML; a failed method's reason spans the columns of the figures it has not got. */
    static String html(List<Row> rows) {
        StringBuilder out = new StringBuilder("<table>\n<tr>");
        for (String h : HEADER) out.append("<th>").append(Html.escape(h)).append("</th>");
        out.append("</tr>\n");
        for (Row r : rows) {
            if (r.failed()) {
                out.append("<tr class=\"failed\"><td>").append(Html.escape(r.cells().getFirst())).append("</td><td colspan=\"")
                        .append(HEADER.size() - 1).append("\">failed: ").append(Html.escape(r.cells().getLast())).append("</td></tr>\n");
                continue;
            }
            out.append("<tr>");
            for (String c : r.cells()) out.append("<td>").append(Html.escape(c)).append("</td>");
            out.append("</tr>\n");
        }
        return out.append("</table>\n").toString();
    }

    /** A pipe would end the cell, a line break the row (a reason is one line, but a path may hold anything). */
    static String markdownCell(String text) {
        return text.replace("\\", "\\\\").replace("|", "\\|").replaceAll("\\R", " ");
    }

    private static String f4(double v) { return String.format(Locale.ROOT, "%.4f", v); }
}
