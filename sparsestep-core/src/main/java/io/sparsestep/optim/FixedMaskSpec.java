package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Momentum SGD under a mask that never changes: the training of a pruned structure again
 * ({@code sparsestep retrain}, "Rethinking the Value of Network Pruning", ALGORITHMS.md 8.1).
 * The mask comes from {@code --mask-from}, a run folder or weights file: its
 * {@code mask.prune.*} tensors, else the exact zeros of its conv/linear weights (a gRDA run's
 * zeros are its mask); the train package loads it into the optimizer before the first step
 * and zeroes the weights it prunes. Empty keeps every weight, which is momentum SGD with
 * decay on the conv/linear weights only. The path is kept absolute, so a checkpoint's
 * arguments name the same file from any working folder.
 */
public record FixedMaskSpec(MomentumSettings sgd, String maskFrom) implements MethodSpec {
    public static final Method METHOD = new Method("fixed-mask", "fixed-mask SGD",
            "momentum SGD with the pruning mask of another run (--mask-from) held fixed: fine-tuning or retraining a pruned structure",
            "nothing new: the conv/linear weights --mask-from's mask prunes stay exactly zero",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.text("--mask-from", "run folder or weights file whose mask is held fixed (its mask.prune.* tensors, "
                            + "else the exact zeros of its conv/linear weights); empty: keep every weight")),
            v -> new FixedMaskSpec(MomentumOptions.read(v), v.text("--mask-from")));

    public FixedMaskSpec {
        if (sgd == null) throw new IllegalArgumentException("fixed-mask SGD needs its SGD settings");
        maskFrom = maskFrom == null || maskFrom.isBlank() ? "" : Path.of(maskFrom).toAbsolutePath().normalize().toString();
    }

    /** Whether a mask is to be loaded (else every weight is kept). */
    public boolean hasMask() { return !maskFrom.isEmpty(); }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public FixedMaskSgd build(ParamSpace space, TrainingPlan plan) { return new FixedMaskSgd(space, this); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--mask-from", maskFrom);
        return out;
    }
}
