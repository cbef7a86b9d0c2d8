package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sparsestep.optim.HyperparameterException.underName;

/** SGD with PyTorch's semantics as a method (the dense baseline). The rules are {@link Sgd.Builder}'s. */
public record SgdSpec(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) implements MethodSpec {
    public static final Method METHOD = new Method("sgd", "SGD",
            "stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and weight decay (prunes nothing)",
            "nothing (dense)",
            List.of(MethodOption.number("--lr", "base learning rate > 0", "0.01"),
                    MethodOption.number("--momentum", "momentum in [0, 1)", "0.9"),
                    MethodOption.number("--dampening", "dampening in [0, 1]", "0"),
                    MethodOption.flag("--nesterov", "Nesterov momentum (needs momentum > 0 and dampening 0)"),
                    MethodOption.number("--weight-decay", "weight decay >= 0", "0")),
            v -> new SgdSpec(v.number("--lr"), v.number("--momentum"), v.number("--dampening"), v.flag("--nesterov"),
                    v.number("--weight-decay")));

    public SgdSpec {
        builder(lr, momentum, dampening, nesterov, weightDecay);
    }

    /** A builder with every value set, each rule reported under its option (nesterov last: its rule reads the others). */
    private static Sgd.Builder builder(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        Sgd.Builder b = Sgd.builder();
        underName("--lr", () -> b.lr(lr));
        underName("--momentum", () -> b.momentum(momentum));
        underName("--dampening", () -> b.dampening(dampening));
        underName("--weight-decay", () -> b.weightDecay(weightDecay));
        underName("--nesterov", () -> b.nesterov(nesterov));
        return b;
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public Sgd build(ParamSpace space, TrainingPlan plan) { return builder(lr, momentum, dampening, nesterov, weightDecay).build(space); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("--lr", Double.toString(lr));
        out.put("--momentum", Double.toString(momentum));
        out.put("--dampening", Double.toString(dampening));
        out.put("--nesterov", Boolean.toString(nesterov));
        out.put("--weight-decay", Double.toString(weightDecay));
        return out;
    }
}
