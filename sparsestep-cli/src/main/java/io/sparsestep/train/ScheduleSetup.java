package io.sparsestep.train;

import io.sparsestep.optim.HyperparameterException;
import io.sparsestep.optim.LrSchedule;

import static io.sparsestep.optim.HyperparameterException.underName;

/**
 * The lr schedule of a {@link RunConfig}, made by the optim package's own parser, whose
 * rules are the only ones; a broken rule is reported under the command-line option that
 * set the value (e.g. "--gamma must be finite and > 0"). The method's hyperparameters are
 * checked by its spec when it is made.
 */
final class ScheduleSetup {
    private ScheduleSetup() {}

    /** Checks the schedule, --gamma included where the schedule ignores it (an impossible value is a mistake anyway). */
    static void check(RunConfig cfg) {
        schedule(cfg);
        underName("--gamma", () -> new LrSchedule.Step(new int[0], cfg.gamma()));
    }

    static LrSchedule schedule(RunConfig cfg) {
        try {
            return LrSchedule.parse(cfg.lrSchedule(), cfg.epochs(), cfg.milestones(), cfg.gamma());
        } catch (HyperparameterException e) {
            // one call, three options: the exception names the parameter it rejects
            String option = switch (e.parameter()) {
                case "milestones" -> "--milestones";
                case "gamma" -> "--gamma";
                default -> "--lr-schedule";
            };
            throw new IllegalArgumentException(e.messageFor(option), e);
        }
    }
}
