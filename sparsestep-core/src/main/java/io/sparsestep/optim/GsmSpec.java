package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GSM, Global Sparse Momentum SGD (Ding et al., NeurIPS 2019), as the authors' code does it
 * (ALGORITHMS.md 3): every step only the Q = floor(ratio * N) conv/linear weights with the
 * largest |g*w| get their gradient (ties at the Q-th value all kept), then momentum SGD with
 * weight decay on the kernels; after the last epoch, the authors' magnitude prune to exactly
 * the ratio. Defaults are a from-scratch recipe for 20x (ratio 0.05).
 */
public record GsmSpec(MomentumSettings sgd, double ratio, boolean exactQ, boolean finalPrune) implements MethodSpec {
    public static final Method METHOD = new Method("gsm", "GSM",
            "Global Sparse Momentum SGD: only the top |g*w| weights get their gradient; the rest decay with their stale momentum",
            "conv/linear weights (biases and batch norm are never pruned)",
            MomentumOptions.with("0.05", "0.9", "2e-3",
                    MethodOption.number("--ratio", "share of conv/linear weights kept, in (0, 1]: Q = floor(ratio * N) get the gradient", "0.05"),
                    MethodOption.flag("--exact-q", "exactly Q selected per step and at the final prune, ties broken by index "
                            + "(lowest first); default: every weight tied with the Q-th is kept, as the authors"),
                    MethodOption.flagOn("--final-prune", "after the last epoch, prune by magnitude to exactly the ratio "
                            + "(the authors' pipeline; --final-prune false leaves the weights as trained)")),
            v -> new GsmSpec(MomentumOptions.read(v), v.number("--ratio"), v.flag("--exact-q"), v.flag("--final-prune")));

    public GsmSpec {
        if (sgd == null) throw new IllegalArgumentException("GSM needs its SGD settings");
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("--ratio must be in (0, 1] (the share of weights kept), got " + ratio);
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public Gsm build(ParamSpace space, TrainingPlan plan) { return new Gsm(space, this, plan); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--ratio", Double.toString(ratio));
        out.put("--exact-q", Boolean.toString(exactQ));
        out.put("--final-prune", Boolean.toString(finalPrune));
        return out;
    }
}
