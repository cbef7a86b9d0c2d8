package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Campfire (Gamboa et al. 2020, ALGORITHMS.md 6; no code is public, so the granularities,
 * schedule and freeze are our documented design [G]): structured gradual pruning of every
 * conv layer with a kernel larger than 1x1, at one of three granularities, on the Zhu-Gupta
 * cubic ramp from --initial-sparsity to --sparsity between --begin-epoch and --freeze-epoch
 * (one mask update at the start of each epoch), then the masks are frozen and training goes
 * on with the fixed pattern. Linear and 1x1 conv layers stay dense.
 * <ul>
 * <li>{@code window}: inside every k x k kernel the same number of entries survive, the
 *     largest |w|: keep {@code round_half_even(k*k*(1-s))} (at least 1), ties by index;</li>
 * <li>{@code kernel}: whole k x k kernels W[o, i, :, :] ranked by their L1 norm (option L2)
 *     within the layer: keep {@code max(round_half_even(O*I*(1-s)), 1)}, ties by index;</li>
 * <li>{@code combined}: kernel pruning to {@code 1 - sqrt(1-s)} and window pruning of the
 *     surviving kernels to the same share, so the layer's density is {@code 1-s}.</li>
 * </ul>
 */
public record CampfireSpec(MomentumSettings sgd, double initialSparsity, double sparsity, int beginEpoch, int freezeEpoch,
                           Granularity granularity, boolean l2) implements MethodSpec {
    /** --freeze-epoch's default: half of --epochs (at least 1). */
    public static final int AUTO_FREEZE = -1;

    /** What one pruned unit is. */
    public enum Granularity {
        WINDOW("window"), KERNEL("kernel"), COMBINED("combined");

        final String option;

        Granularity(String option) { this.option = option; }

        static Granularity of(String option) {
            for (Granularity g : values()) if (g.option.equals(option)) return g;
            throw new IllegalArgumentException("--granularity must be window, kernel or combined, got '" + option + "'");
        }
    }

    public static final Method METHOD = new Method("campfire", "Campfire",
            "structured gradual pruning inside conv kernels (window), of whole k x k kernels, or both; masks frozen after --freeze-epoch",
            "conv weights of kernels larger than 1x1 (linear layers, 1x1 convs, biases and batch norm are never pruned)",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--initial-sparsity", "sparsity at --begin-epoch, in [0, --sparsity]", "0"),
                    MethodOption.number("--sparsity", "target sparsity of each pruned conv layer, in [0, 1)", "0.7"),
                    MethodOption.number("--begin-epoch", "epochs trained dense before the first mask (>= 0)", "0"),
                    MethodOption.number("--freeze-epoch", "epochs after which the masks are frozen at --sparsity; -1: half of --epochs", "-1"),
                    MethodOption.choice("--granularity", "window (entries inside each k x k kernel), kernel (whole k x k kernels) or combined",
                            "kernel", "window", "kernel", "combined"),
                    MethodOption.choice("--kernel-norm", "norm that ranks whole kernels", "l1", "l1", "l2")),
            v -> new CampfireSpec(MomentumOptions.read(v), v.number("--initial-sparsity"), v.number("--sparsity"),
                    Math.toIntExact(v.whole("--begin-epoch")), Math.toIntExact(v.whole("--freeze-epoch")), Granularity.of(v.choice("--granularity")),
                    v.choice("--kernel-norm").equals("l2")));

    public CampfireSpec {
        if (sgd == null || granularity == null) throw new IllegalArgumentException("Campfire needs its SGD settings and a granularity");
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity);
        if (!(initialSparsity >= 0 && initialSparsity <= sparsity)) {
            throw new IllegalArgumentException("--initial-sparsity must be in [0, --sparsity " + sparsity + "], got " + initialSparsity);
        }
        if (beginEpoch < 0) throw new IllegalArgumentException("--begin-epoch must be >= 0, got " + beginEpoch);
        if (freezeEpoch != AUTO_FREEZE && freezeEpoch <= beginEpoch) {
            throw new IllegalArgumentException("--freeze-epoch must be -1 (auto) or after --begin-epoch " + beginEpoch + ", got " + freezeEpoch);
        }
    }

    /** The freeze epoch for a run of {@code plan}. */
    public int freezeAfter(TrainingPlan plan) {
        int f = freezeEpoch == AUTO_FREEZE ? Math.max(beginEpoch + 1, plan.epochs() / 2) : freezeEpoch;
        if (f > plan.epochs()) {
            throw new IllegalArgumentException("--freeze-epoch " + f + " is beyond the run's " + plan.epochs() + " epochs; use at most " + plan.epochs());
        }
        return f;
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public Campfire build(ParamSpace space, TrainingPlan plan) { return new Campfire(space, this, freezeAfter(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--initial-sparsity", Double.toString(initialSparsity));
        out.put("--sparsity", Double.toString(sparsity));
        out.put("--begin-epoch", Integer.toString(beginEpoch));
        out.put("--freeze-epoch", Integer.toString(freezeEpoch));
        out.put("--granularity", granularity.option);
        out.put("--kernel-norm", l2 ? "l2" : "l1");
        return out;
    }
}
