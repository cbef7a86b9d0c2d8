package io.sparsestep.train;

import io.sparsestep.analysis.BatchNormStatistics;
import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.train.TrainingListener.EpochEnd;
import io.sparsestep.train.TrainingListener.EpochStart;
import io.sparsestep.train.TrainingListener.StepEvent;
import io.sparsestep.store.RunPosition;
import io.sparsestep.store.EpochRow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The training loop: per step, upload a batch, forward + loss + backward, one optimizer
 * step, then the listeners; per epoch, evaluate on the test split, measure sparsity, then
 * the listeners; before an evaluation, batch-norm statistics recomputed where
 * {@link BnRecalibration} says so. The host staging memory for batches is allocated once here; the loop
 * itself allocates nothing on the backend. Host-device traffic: the batch upload and one
 * two-float loss read-back per step.
 *
 * <p>A run can start after epochs already done ({@link RunPosition}, from a checkpoint): the
 * data order of each epoch is a function of (seed, epoch) and the lr schedule one of the
 * global step, so the remaining epochs are the ones the uninterrupted run would have had.
 */
public final class Trainer implements AutoCloseable {
    private final Network net;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final BatchLoader train, test;
    private final double baseLr;
    private final List<TrainingListener> listeners;
    private final Evaluation evaluation;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment hostImages, hostLabels;
    private final float[] lossAndCorrect = new float[2];
    private long globalStep;
    private volatile boolean stopRequested;
    /** The last batch is too small for batch norm's statistics (the full batch was checked to be fine). */
    private final boolean skipLastBatch;
    private final BnRecalibration recalibration;
    /** The training split in order without augmentation, for the recomputed statistics (null when they are never recomputed). */
    private final BatchLoader statisticsPass;

    /** {@code baseLr} is only reported (per epoch, times the schedule's factor). Running statistics are never recomputed. */
    public Trainer(Network net, Optimizer optimizer, LrSchedule schedule, double baseLr, BatchLoader train, BatchLoader test,
                   List<TrainingListener> listeners) {
        this(net, optimizer, schedule, baseLr, train, test, listeners, BnRecalibration.OFF, null);
    }

    /**
     * With batch-norm statistics recomputed over {@code statisticsPass} (the training split, in
     * order, not augmented, in batches the network is prepared for) before the evaluations
     * {@code recalibration} names.
     */
    public Trainer(Network net, Optimizer optimizer, LrSchedule schedule, double baseLr, BatchLoader train, BatchLoader test,
                   List<TrainingListener> listeners, BnRecalibration recalibration, BatchLoader statisticsPass) {
        if (recalibration != BnRecalibration.OFF && statisticsPass == null) {
            throw new IllegalArgumentException("--bn-recalibrate " + recalibration.option() + " needs the training split to recompute over");
        }
        this.recalibration = recalibration;
        this.statisticsPass = statisticsPass;
        if (!net.trainsBatchOf(train.batchSize())) {
            throw new IllegalArgumentException("a training batch of " + train.batchSize() + " cannot train " + net.modelId()
                    + ": its batch norm needs at least 2 values per channel (use --batch-size 2 or more, and at least 2 training images)");
        }
        // decided once: walking the graph per batch would allocate inside the training loop
        this.skipLastBatch = !net.trainsBatchOf(train.lastBatchSize());
        this.baseLr = baseLr;
        this.net = net;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.train = train;
        this.test = test;
        this.listeners = List.copyOf(listeners);
        this.hostImages = arena.allocate(4 * Evaluation.sampleFloats(net) * net.maxBatch(), 64);
        this.hostLabels = arena.allocate(4L * net.maxBatch(), 64);
        this.evaluation = new Evaluation(net, test, hostImages, hostLabels);
        // a network built with these sizes (TrainingRun does) has them prepared already: plans are cached
        net.prepareBatchSizes(train.lastBatchSize(), test.lastBatchSize());
    }

    /**
     * Asks the loop to stop after the step in progress (from a signal handler or another
     * thread): it then throws {@link TrainingStoppedException} with the position reached.
     */
    public void requestStop() { stopRequested = true; }

    /** Trains epochs 1..{@code epochs}. */
    public List<EpochRow> run(int epochs) { return run(RunPosition.START, epochs); }

    /** Trains epochs {@code from.epochsDone()+1 .. epochs}; returns every row, those of {@code from} first. */
    public List<EpochRow> run(RunPosition from, int epochs) {
        List<EpochRow> rows = new ArrayList<>(from.rows());
        globalStep = from.globalStep();
        boolean completed = false;
        try {
            for (int epoch = from.epochsDone() + 1; epoch <= epochs; epoch++) {
                long start = System.nanoTime();
                double lr = baseLr * schedule.factor(globalStep, train.batches());
                for (TrainingListener l : listeners) l.onEpochStart(new EpochStart(epoch, epochs, train.batches(), optimizer));
                optimizer.startEpoch(epoch);
                double[] trainStats = trainEpoch(epoch, epochs);
                optimizer.endEpoch(epoch);
                // after the epoch's last step, so the statistics are those of the weights evaluated (and checkpointed)
                if (recalibration.before(epoch, epochs)) BatchNormStatistics.recompute(net, statisticsPass);
                double[] testStats = evaluate();
                LinkedHashMap<String, Double> sparsity = Sparsity.measure(net);
                double global = sparsity.remove("");
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochRow row = new EpochRow(epoch, lr, trainStats[0], trainStats[1], testStats[0], testStats[1], global, seconds, sparsity);
                rows.add(row);
                List<EpochRow> view = Collections.unmodifiableList(rows);
                for (TrainingListener l : listeners) l.onEpochEnd(new EpochEnd(row, view, globalStep, optimizer, net));
            }
            completed = true;
            return rows;
        } finally {
            for (TrainingListener l : listeners) l.onRunEnd(completed);
        }
    }

    /** Returns {mean train loss, train accuracy}. */
    private double[] trainEpoch(int epoch, int epochs) {
        Backend be = net.backend();
        train.startEpoch(epoch);
        double lossSum = 0, correct = 0;
        long seen = 0;
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
            StepEvent event = new StepEvent(epoch, epochs, globalStep, baseLr * lrFactor, lossAndCorrect[0], lossAndCorrect[1], n,
                    optimizer, net);
            for (TrainingListener l : listeners) l.onStep(event);
            lossSum += lossAndCorrect[0];
            correct += lossAndCorrect[1];
            seen += n;
            if (stopRequested) throw new TrainingStoppedException(epoch, globalStep);
        }
        return new double[]{lossSum / seen, correct / seen};
    }

    /** Returns {mean test loss, test accuracy} in evaluation mode (running batch-norm statistics). */
    public double[] evaluate() {
        Evaluation.Result r = evaluation.run();
        return new double[]{r.loss(), r.accuracy()};
    }

    @Override
    public void close() {
        evaluation.close();
        arena.close();
    }
}
