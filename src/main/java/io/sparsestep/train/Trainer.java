package io.sparsestep.train;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.train.io.EpochRow;
import io.sparsestep.train.io.TrainProgress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The training loop: per step, upload a batch, forward + loss + backward, one optimizer
 * step; per epoch, evaluate on the test split and measure sparsity. The host staging
 * memory for batches is allocated once here; the loop itself allocates nothing on the
 * backend. Host-device traffic: the batch upload and one two-float loss read-back per step.
 */
public final class Trainer implements AutoCloseable {
    private final Network net;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final BatchLoader train, test;
    private final boolean progress;
    private final double baseLr;
    private final long prunable;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment hostImages, hostLabels;
    private final float[] lossAndCorrect = new float[2];
    private long globalStep;
    /** The last batch is too small for batch norm's statistics (the full batch was checked to be fine). */
    private final boolean skipLastBatch;

    /** {@code baseLr} is only reported (per epoch, times the schedule's factor). */
    public Trainer(Network net, Optimizer optimizer, LrSchedule schedule, double baseLr, BatchLoader train, BatchLoader test,
                   boolean progress) {
        if (!net.trainsBatchOf(train.batchSize())) {
            throw new IllegalArgumentException("a training batch of " + train.batchSize() + " cannot train " + net.modelId()
                    + ": its batch norm needs at least 2 values per channel (use --batch-size 2 or more, and at least 2 training images)");
        }
        // decided once: walking the graph per batch would allocate inside the training loop
        this.skipLastBatch = !net.trainsBatchOf(train.lastBatchSize());
        this.baseLr = baseLr;
        this.prunable = Sparsity.prunableCount(net);
        this.net = net;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.train = train;
        this.test = test;
        this.progress = progress;
        long perSample = 1;
        for (int d : net.inputShape()) perSample *= d;
        this.hostImages = arena.allocate(4 * perSample * net.maxBatch(), 64);
        this.hostLabels = arena.allocate(4L * net.maxBatch(), 64);
        // a network built with these sizes (TrainingRun does) has them prepared already: plans are cached
        net.prepareBatchSizes(train.lastBatchSize(), test.lastBatchSize());
    }

    /**
     * Trains {@code epochs} epochs; after each, {@code onEpoch} gets the rows so far (a
     * read-only view, the newest last), so outputs can be rewritten every epoch.
     */
    public List<EpochRow> run(int epochs, Consumer<List<EpochRow>> onEpoch) {
        List<EpochRow> rows = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            double lr = baseLr * schedule.factor(globalStep, train.batches());
            double[] trainStats = trainEpoch(epoch, epochs);
            double[] testStats = evaluate();
            LinkedHashMap<String, Double> sparsity = Sparsity.measure(net);
            double global = sparsity.remove("");
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochRow row = new EpochRow(epoch, lr, trainStats[0], trainStats[1], testStats[0], testStats[1], global, seconds, sparsity);
            rows.add(row);
            onEpoch.accept(Collections.unmodifiableList(rows));
        }
        return rows;
    }

    /** Returns {mean train loss, train accuracy}. */
    private double[] trainEpoch(int epoch, int epochs) {
        Backend be = net.backend();
        train.startEpoch(epoch);
        double lossSum = 0, correct = 0;
        long seen = 0;
        // the run's header line names the model; the bar has to fit 80 columns with sparsity
        try (TrainProgress bar = new TrainProgress(TrainProgress.epochTask(TrainingRun.label(optimizer.name()), epoch, epochs),
                train.batches(), progress)) {
            int n;
            while ((n = train.next(hostImages, hostLabels)) > 0) {
                // a last batch too small for batch norm's statistics (one sample, 1x1 planes)
                // is skipped, but still counts as a step of the lr schedule, which measures
                // epochs in batches
                if (skipLastBatch && n < train.batchSize()) {
                    globalStep++;
                    continue;
                }
                be.upload(hostImages, net.input(n));
                be.upload(hostLabels, net.labels(n));
                net.trainStep(n);
                double lrFactor = schedule.factor(globalStep, train.batches());
                optimizer.step(lrFactor);
                globalStep++;
                net.readLossAndCorrect(lossAndCorrect);
                if (!Float.isFinite(lossAndCorrect[0])) {
                    // every other hyperparameter was checked to be finite and in range, so the
                    // step size is what is left to blame
                    throw new TrainingDivergedException(String.format(Locale.ROOT,
                            "training diverged: loss is %s at epoch %d, step %d (%s, lr %.4g); lower --lr",
                            lossAndCorrect[0], epoch, globalStep, TrainingRun.label(optimizer.name()), baseLr * lrFactor));
                }
                lossSum += lossAndCorrect[0];
                correct += lossAndCorrect[1];
                seen += n;
                bar.step(lossAndCorrect[0] / n, liveSparsity());
            }
        }
        return new double[]{lossSum / seen, correct / seen};
    }


    /** Sparsity after the last step from the optimizer's fused zero count (no pass over the weights); NaN if none. */
    private double liveSparsity() {
        if (!progress) return Double.NaN;
        long zeros = optimizer.lastStepZeros();
        return zeros < 0 || prunable == 0 ? Double.NaN : (double) zeros / prunable;
    }

    /** Returns {mean test loss, test accuracy} in evaluation mode (running batch-norm statistics). */
    public double[] evaluate() {
        Backend be = net.backend();
        test.startEpoch(0);
        double lossSum = 0, correct = 0;
        long seen = 0;
        int n;
        while ((n = test.next(hostImages, hostLabels)) > 0) {
            be.upload(hostImages, net.input(n));
            be.upload(hostLabels, net.labels(n));
            net.evalStep(n);
            net.readLossAndCorrect(lossAndCorrect);
            lossSum += lossAndCorrect[0];
            correct += lossAndCorrect[1];
            seen += n;
        }
        return new double[]{lossSum / seen, correct / seen};
    }

    @Override
    public void close() { arena.close(); }
}
