package io.sparsestep.train;

import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Ctrl-C (SIGINT) and SIGTERM during training: the first asks the running loop to stop
 * after its current step (nothing is half-written: checkpoints and outputs are only
 * written between epochs, atomically), the run then says where its last checkpoint is and
 * exits 130 or 143; a second signal ends the process at once. Outside training the JVM's
 * default handling applies.
 */
public final class RunSignals {
    /** The signal that stopped a run, if any: INT or TERM. */
    private static final AtomicReference<String> received = new AtomicReference<>();
    private static volatile Trainer running;
    private static boolean installed;

    private RunSignals() {}

    /** Routes SIGINT and SIGTERM to the trainer registered by {@link #whileTraining}; once per JVM. */
    public static synchronized void install() {
        if (installed) return;
        installed = true;
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), RunSignals::handle);
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal for itself (e.g. -Xrs): default handling stays
            }
        }
    }

    private static void handle(Signal signal) {
        Trainer t = running;
        if (t == null || !received.compareAndSet(null, signal.getName())) {
            Runtime.getRuntime().halt(128 + signal.getNumber()); // not training, or the second signal
        }
        t.requestStop();
    }

    /** While open, a signal stops the registered trainer (closing cannot fail). */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Marks {@code trainer} as the one a signal stops, until the returned registration is closed. */
    static Registration whileTraining(Trainer trainer) {
        received.set(null);
        running = trainer;
        return () -> running = null;
    }

    /** The signal that stopped the last run ("INT" or "TERM"), or null when it was stopped otherwise. */
    static String receivedSignal() { return received.get(); }

    /** The shell's exit code for a run ended by {@code signal}: 130 for INT, 143 for TERM. */
    public static int exitCode(String signal) { return "TERM".equals(signal) ? 143 : 130; }
}
