package io.sparsestep.train;

import io.sparsestep.store.EpochRow;
import io.sparsestep.train.io.LayerSparsityLines;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * After every epoch: one console line (loss, accuracies, sparsity, time), the per-layer
 * sparsity summary, then the epoch's files (metrics.csv and the charts, rewritten so a
 * killed run still leaves valid ones).
 */
final class EpochReport implements TrainingListener {
    private final String methodLabel;
    private final PrintStream log;
    private final Consumer<List<EpochRow>> writeFiles;

    EpochReport(String methodLabel, PrintStream log, Consumer<List<EpochRow>> writeFiles) {
        this.methodLabel = methodLabel;
        this.log = log;
        this.writeFiles = writeFiles;
    }

    @Override
    public void onEpochEnd(EpochEnd e) {
        EpochRow row = e.row();
        log.printf(Locale.ROOT, "%-5s epoch %3d  lr %.4g  train loss %.4f  train acc %.4f  test acc %.4f  sparsity %.4f  %.1fs%n",
                methodLabel, row.epoch(), row.lr(), row.trainLoss(), row.trainAccuracy(), row.testAccuracy(), row.sparsity(), row.seconds());
        LayerSparsityLines.of(row.layerSparsity()).forEach(log::println);
        writeFiles.accept(e.rows());
    }
}
