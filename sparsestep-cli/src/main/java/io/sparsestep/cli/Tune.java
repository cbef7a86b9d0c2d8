package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.tune.CSearch;
import io.sparsestep.train.tune.Tuning;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code tune} and {@code train --c auto} share: the trial length and validation share
 * (the authors' "a few epochs"), and the step that turns {@code --c auto} into a number.
 */
final class Tune {
    /** Epochs per trial by default: the authors tune c over 1-5 epochs (ALGORITHMS.md 1.2). */
    static final int TRIAL_EPOCHS = 3;
    static final double VALIDATION = 0.1;
    static final String AUTO = "auto";
    /** The folder {@code train --c auto} tunes in, inside its own --out. */
    static final String FOLDER = "tune";

    private Tune() {}

    static TrainOptions trialOptions() {
        TrainOptions o = new TrainOptions();
        o.epochs = TRIAL_EPOCHS;
        return o;
    }

    /** Whether the given method options ask for {@code --c auto}. */
    static boolean autoC(Map<String, String> given) {
        return AUTO.equalsIgnoreCase(given.get("--c"));
    }

    /** {@code given} with {@code --c auto} replaced by a placeholder c, so every other option can be checked before any training. */
    static Map<String, String> placeholder(Map<String, String> given) {
        Map<String, String> out = new LinkedHashMap<>(given);
        out.put("--c", "0");
        return out;
    }

    /**
     * {@code cfg} (built with the placeholder c) with the c the default search picks, tuned in
     * {@code <out>/tune} over min(3, epochs) epochs per trial; throws the one-line reason when
     * no c keeps the accuracy.
     */
    static RunConfig resolveAuto(RunConfig cfg, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        RunConfig base = cfg.trial(Math.min(TRIAL_EPOCHS, cfg.epochs()), cfg.out().resolve(FOLDER));
        Tuning.Outcome outcome = Tuning.run(new Tuning.Request(base, VALIDATION, CSearch.DEFAULT), data, backend, log, commandLine);
        double c = outcome.chosenC();
        log.printf(Locale.ROOT, "--c auto: training with c = %s (tuned in %s)%n", CSearch.text(c), base.out());
        return Tuning.withC(cfg, c, cfg.out());
    }
}
