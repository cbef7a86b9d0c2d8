package io.sparsestep.store;

import java.util.List;

/**
 * Where a training run stands: epochs completed, the global step (batches seen, skipped ones
 * included) and one row per completed epoch. A checkpoint stores it; a resumed run starts from it.
 */
public record RunPosition(int epochsDone, long globalStep, List<EpochRow> rows) {
    public static final RunPosition START = new RunPosition(0, 0, List.of());

    public RunPosition {
        rows = List.copyOf(rows);
        if (epochsDone != rows.size()) throw new IllegalArgumentException(epochsDone + " epochs done but " + rows.size() + " rows");
    }
}
