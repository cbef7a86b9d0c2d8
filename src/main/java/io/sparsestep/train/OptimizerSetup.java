package io.sparsestep.train;

import io.sparsestep.params.ParamSpace;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.optim.Grda;
import io.sparsestep.optim.HyperparameterException;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.Sgd;

import static io.sparsestep.optim.HyperparameterException.underName;

/**
 * The optimizer and lr schedule of a {@link RunConfig}, made by the optim package's own
 * builders. Setting up the builders is also how a run's hyperparameters are checked before
 * anything is loaded, so the builders' rules are the only ones; a broken rule is reported
 * under the command-line option that set the value (e.g. "--gamma must be finite and > 0").
 */
final class OptimizerSetup {
    private OptimizerSetup() {}

    /**
     * Checks every hyperparameter, those the chosen optimizer and schedule ignore included
     * (e.g. --momentum for gRDA, --gamma for a constant schedule): an impossible value is a
     * mistake worth reporting even where it would not be used.
     */
    static void check(RunConfig cfg) {
        grda(cfg);
        sgd(cfg);
        schedule(cfg);
        underName("--gamma", () -> new LrSchedule.Step(new int[0], cfg.gamma()));
    }

    static Optimizer build(RunConfig cfg, ParamSpace space) {
        return cfg.optimizer().equals("grda") ? grda(cfg).build(space) : sgd(cfg).build(space);
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

    private static Grda.Builder grda(RunConfig cfg) {
        Grda.Builder b = Grda.builder();
        underName("--lr", () -> b.lr(cfg.lr()));
        underName("--c", () -> b.c(cfg.c()));
        underName("--mu", () -> b.mu(cfg.mu()));
        underName("--bias-bn-c", () -> b.group(ParamGroup.BIAS_AND_NORM, s -> s.withC(cfg.biasNormC())));
        return b;
    }

    private static Sgd.Builder sgd(RunConfig cfg) {
        Sgd.Builder b = Sgd.builder();
        underName("--lr", () -> b.lr(cfg.lr()));
        underName("--momentum", () -> b.momentum(cfg.momentum()));
        underName("--dampening", () -> b.dampening(cfg.dampening()));
        underName("--weight-decay", () -> b.weightDecay(cfg.weightDecay()));
        // last: its rule involves momentum and dampening, which are set by now
        underName("--nesterov", () -> b.nesterov(cfg.nesterov()));
        return b;
    }
}
