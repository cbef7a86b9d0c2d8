package io.sparsestep.train.io;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar over the steps of one epoch showing the running mean loss, drawn on
 * stderr. It is drawn only for a person watching a terminal: in CI logs or redirected
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
    static boolean attachedToTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Records one finished step with its loss and advances the bar. */
    public void step(double loss) { step(loss, Double.NaN); }

    /** As {@link #step(double)}, also showing the current sparsity (NaN: not known, not shown). */
    public void step(double loss, double sparsity) {
        steps++;
        lossSum += loss;
        if (bar != null) {
            bar.step();
            bar.setExtraMessage(Double.isNaN(sparsity)
                    ? String.format(Locale.ROOT, " loss %.4f", meanLoss())
                    : String.format(Locale.ROOT, " loss %.4f sparsity %.3f", meanLoss(), sparsity));
        }
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
