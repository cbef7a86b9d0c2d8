package io.sparsestep.optim;

import java.util.Arrays;

/**
 * Learning-rate multiplier as a function of progress. Step and constant schedules change
 * at epoch boundaries; cosine anneals every step (to zero at the end of training).
 */
public sealed interface LrSchedule {
    /** Multiplier of the base lr at global step {@code step} (0-based) of an epoch of {@code stepsPerEpoch}. */
    double factor(long step, int stepsPerEpoch);

    record Constant() implements LrSchedule {
        public double factor(long step, int stepsPerEpoch) { return 1.0; }
    }

    /** Multiply by gamma at each milestone epoch (0-based epoch index at which the drop takes effect). */
    record Step(int[] milestones, double gamma) implements LrSchedule {
        public Step {
            milestones = milestones.clone();
            Arrays.sort(milestones);
            if (!(gamma > 0)) throw new IllegalArgumentException("lr gamma must be > 0, got " + gamma);
        }

        public double factor(long step, int stepsPerEpoch) {
            long epoch = step / stepsPerEpoch;
            double f = 1;
            for (int m : milestones) if (epoch >= m) f *= gamma;
            return f;
        }
    }

    /** Cosine annealing from 1 to 0 over {@code epochs} epochs, per step. */
    record Cosine(int epochs) implements LrSchedule {
        public double factor(long step, int stepsPerEpoch) {
            double total = (double) epochs * stepsPerEpoch;
            return 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / total));
        }
    }

    /** From the command line: "constant", "step" (with milestones and gamma), "cosine". */
    static LrSchedule parse(String kind, int epochs, int[] milestones, double gamma) {
        return switch (kind) {
            case "constant" -> new Constant();
            case "step" -> new Step(milestones.length == 0 ? new int[]{Math.max(1, epochs / 2), Math.max(1, 3 * epochs / 4)} : milestones, gamma);
            case "cosine" -> new Cosine(epochs);
            default -> throw new IllegalArgumentException("unknown lr schedule '" + kind + "'; choose constant, step or cosine");
        };
    }
}
