package io.sparsestep.optim;

import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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

    /**
     * Multiply by gamma at each milestone: milestone m is the number of epochs after which
     * the drop takes effect (0-based epoch index m onwards), as in PyTorch's MultiStepLR.
     * Milestones must be increasing and >= 1: a duplicate would silently drop twice, and
     * 0 would lower the base lr instead of scheduling anything.
     */
    record Step(int[] milestones, double gamma) implements LrSchedule {
        public Step {
            milestones = milestones.clone();
            for (int i = 0; i < milestones.length; i++) {
                if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1])) {
                    throw new HyperparameterException("lr schedule", "milestones", "must be increasing epoch counts >= 1",
                            text(milestones));
                }
            }
            if (!(gamma > 0 && gamma < Double.POSITIVE_INFINITY)) {
                throw new HyperparameterException("lr schedule", "gamma", "must be finite and > 0", gamma);
            }
        }

        public double factor(long step, int stepsPerEpoch) {
            long epoch = step / stepsPerEpoch;
            double f = 1;
            for (int m : milestones) if (epoch >= m) f *= gamma;
            return f;
        }

        @Override
        public int[] milestones() { return milestones.clone(); }
    }

    /** Cosine annealing from 1 to 0 over {@code epochs} epochs, per step. */
    record Cosine(int epochs) implements LrSchedule {
        public double factor(long step, int stepsPerEpoch) {
            double total = (double) epochs * stepsPerEpoch;
            return 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / total));
        }
    }

    /**
     * From the command line: "constant", "step" (with milestones and gamma), "cosine", for a
     * run of {@code epochs} epochs. Milestones are only for "step", and each must fall
     * before the last epoch (a drop after it would never happen); none given: drops after
     * half and three quarters of the epochs (those that fall before the last epoch).
     */
    static LrSchedule parse(String kind, int epochs, int[] milestones, double gamma) {
        if (milestones.length > 0 && !"step".equals(kind)) {
            throw new HyperparameterException("lr schedule", "milestones", "only apply to the step schedule", text(milestones)
                    + " with schedule " + kind);
        }
        return switch (kind) {
            case "constant" -> new Constant();
            case "step" -> {
                for (int m : milestones) {
                    if (m >= epochs) {
                        throw new HyperparameterException("lr schedule", "milestones", "must be below the epoch count "
                                + epochs + " (a drop after the last epoch never happens)", text(milestones));
                    }
                }
                yield new Step(milestones.length > 0 ? milestones : defaultMilestones(epochs), gamma);
            }
            case "cosine" -> new Cosine(epochs);
            default -> throw new HyperparameterException("lr", "schedule", "must be constant, step or cosine", "'" + kind + "'");
        };
    }

    /** Half and three quarters of {@code epochs}, once each, leaving out those not before the last epoch. */
    public static int[] defaultMilestones(int epochs) {
        return IntStream.of(epochs / 2, 3 * epochs / 4).filter(m -> m >= 1 && m < epochs).distinct().toArray();
    }

    private static String text(int[] milestones) {
        return Arrays.stream(milestones).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
