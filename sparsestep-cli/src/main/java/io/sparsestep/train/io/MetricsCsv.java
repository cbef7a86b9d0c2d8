package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;
import io.sparsestep.store.EpochRow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;

/**
 * The per-epoch table of a run, {@code metrics.csv}: fixed columns
 * {@code epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,sparsity,seconds}
 * then {@code sparsity:<layer>} for each prunable layer in the order given.
 *
 * <p>The whole file is rewritten (atomically) after every epoch instead of appended to,
 * so a run killed mid-write still leaves a complete, parseable CSV.
 *
 * <p>Every number is the shortest decimal that parses back to exactly the value computed, in
 * the type it was computed in: {@code lr} is the float32 step size the optimizer kernels apply
 * ({@code (float) (base lr * schedule factor)}), written with {@link Float#toString}, so a
 * step schedule's 0.1 x 0.1 is {@code 0.01}, not the double product 0.010000000000000002;
 * every other column is a double (means, fractions, seconds) and is written with
 * {@link Double#toString}, which since JDK 19 is the shortest round-tripping form too.
 * Both switch to {@code 1.0E-4} style below 0.001. NaN and Infinity (a diverged loss) are
 * written as such.
 */
public final class MetricsCsv {
    public static final String FILE_NAME = "metrics.csv";
    static final List<String> FIXED_COLUMNS = List.of("epoch", "lr", "train_loss",
            "train_accuracy", "test_loss", "test_accuracy", "sparsity", "seconds");
    static final String LAYER_PREFIX = "sparsity:";

    private final Path file;
    private final List<String> layerNames;
    private final List<EpochRow> rows = new ArrayList<>();

    /** A table for {@code file} with one sparsity column per name in {@code layerNames}. */
    public MetricsCsv(Path file, List<String> layerNames) {
        this.file = file;
        this.layerNames = List.copyOf(layerNames);
        if (new HashSet<>(this.layerNames).size() != this.layerNames.size()) {
            throw new IllegalArgumentException("layer names repeat in " + this.layerNames
                    + "; each prunable layer needs a unique name for its metrics.csv column");
        }
    }

    /** Adds the row of a finished epoch and rewrites the file with all rows so far. */
    public void append(EpochRow row) throws IOException {
        checkLayers(layerNames, row);
        rows.add(row);
        write(file, layerNames, rows);
    }

    /** The rows appended so far, oldest first. */
    public List<EpochRow> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** Atomically writes {@code file} with a header and one line per row. */
    public static void write(Path file, List<String> layerNames, List<EpochRow> rows)
            throws IOException {
        byte[] content = render(layerNames, rows).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(content));
    }

    /** The exact CSV text, lines ending in {@code \n}. */
    public static String render(List<String> layerNames, List<EpochRow> rows) {
        StringBuilder csv = new StringBuilder();
        List<String> header = new ArrayList<>(FIXED_COLUMNS);
        for (String layer : layerNames) {
            header.add(LAYER_PREFIX + layer);
        }
        appendLine(csv, header);
        for (EpochRow row : rows) {
            checkLayers(layerNames, row);
            List<String> cells = new ArrayList<>(List.of(
                    Integer.toString(row.epoch()), appliedLr(row.lr()), number(row.trainLoss()),
                    number(row.trainAccuracy()), number(row.testLoss()),
                    number(row.testAccuracy()), number(row.sparsity()), number(row.seconds())));
            for (String layer : layerNames) {
                cells.add(number(row.layerSparsity().get(layer)));
            }
            appendLine(csv, cells);
        }
        return csv.toString();
    }

    private static void checkLayers(List<String> layerNames, EpochRow row) {
        if (!row.layerSparsity().keySet().equals(new HashSet<>(layerNames))) {
            throw new IllegalArgumentException("epoch " + row.epoch() + " reports sparsity for layers "
                    + row.layerSparsity().keySet() + " but metrics.csv has columns for " + layerNames
                    + "; report the same prunable layers every epoch");
        }
    }

    private static String number(double value) {
        return Double.toString(value);
    }

    /** The learning rate as the kernels see it: float32 (Grda and Sgd narrow it per step). */
    private static String appliedLr(double lr) {
        return Float.toString((float) lr);
    }

    private static void appendLine(StringBuilder csv, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                csv.append(',');
            }
            csv.append(quoteIfNeeded(cells.get(i)));
        }
        csv.append('\n');
    }

    /** RFC 4180 quoting, needed only if a layer name holds a comma, quote or line break. */
    private static String quoteIfNeeded(String cell) {
        if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0
                && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
            return cell;
        }
        return '"' + cell.replace("\"", "\"\"") + '"';
    }
}
