package io.sparsestep.train.io;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar over the steps of one epoch showing the running mean loss and the live
 * sparsity, drawn on stderr. Its line fits an 80-column terminal: the library cuts the
 * line at the terminal width, and a number cut short reads as a wrong value.
 *
 * <p>It is drawn only for a person watching a terminal: in CI logs or redirected
 * output, a bar redrawn with carriage returns becomes thousands of junk lines, so there
 * nothing is printed per step. The running mean is kept either way.
 */
public final class TrainProgress implements AutoCloseable {
    private static final int UPDATE_MILLIS = 250;

    private final ProgressBar bar;
    private long steps;
    private double lossSum;

    /**
     * A bar titled {@code task} over {@code steps} steps; shown only if {@code enabled}
     * and the JVM is attached to a terminal.
     */
    public TrainProgress(String task, long steps, boolean enabled) {
        this(task, steps, enabled && attachedToTerminal() ? new ProgressBarBuilder() : null);
    }

    /** A bar drawn to {@code out} (tests), {@code width} characters wide. */
    TrainProgress(String task, long steps, PrintStream out, int width) {
        this(task, steps, new ProgressBarBuilder().setConsumer(new ConsoleProgressBarConsumer(out, width)));
    }

    private TrainProgress(String task, long steps, ProgressBarBuilder builder) {
        if (steps < 0) {
            throw new IllegalArgumentException("progress of '" + task + "' needs steps >= 0, got " + steps);
        }
        this.bar = builder == null ? null : builder.setTaskName(task).setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(UPDATE_MILLIS).build();
    }

    /**
     * {@code System.console()} is not enough: since JDK 22 it returns a console even when
     * output is redirected, and only {@link Console#isTerminal()} tells the two apart.
     */
    public static boolean attachedToTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /**
     * "gRDA epoch 3/20": the bar's title. The model is left to the run's header line; with
     * it, the title pushed the sparsity off an 80-column line.
     */
    public static String epochTask(String runLabel, int epoch, int epochs) {
        return runLabel + " epoch " + epoch + "/" + epochs;
    }

    /** Records one finished step with its loss and advances the bar. */
    public void step(double loss) { step(loss, Double.NaN); }

    /** As {@link #step(double)}, also showing the current sparsity (NaN: not known, not shown). */
    public void step(double loss, double sparsity) {
        steps++;
        lossSum += loss;
        if (bar != null) {
            bar.step();
            bar.setExtraMessage(extraMessage(meanLoss(), sparsity));
        }
    }

    /**
     * "loss 0.123 sp 0.812" (19 columns): with the longest title and step count of usual
     * runs ("gRDA epoch 160/200", 1563/1563) and the library's percentage, bar and times,
     * the line is 78 columns. Running accuracy would not fit; the epoch line reports it.
     */
    static String extraMessage(double meanLoss, double sparsity) {
        return Double.isNaN(sparsity)
                ? String.format(Locale.ROOT, "loss %.3f", meanLoss)
                : String.format(Locale.ROOT, "loss %.3f sp %.3f", meanLoss, sparsity);
    }

    /** Mean of the losses passed to {@link #step} so far; NaN before the first step. */
    public double meanLoss() {
        return steps == 0 ? Double.NaN : lossSum / steps;
    }

    /** Number of {@link #step} calls so far. */
    public long stepsDone() {
        return steps;
    }

    /** Draws the final state and ends the line; the bar's refresh thread stops. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
