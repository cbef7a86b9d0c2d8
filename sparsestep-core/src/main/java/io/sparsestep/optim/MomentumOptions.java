package io.sparsestep.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sparsestep.optim.HyperparameterException.underName;

/**
 * The momentum-SGD options every masked method shares (--lr, --momentum, --weight-decay,
 * --nesterov), declared once with per-method defaults, read and checked once.
 */
final class MomentumOptions {
    private MomentumOptions() {}

    /** The four options with these defaults, then the method's own. */
    static List<MethodOption> with(String lr, String momentum, String weightDecay, MethodOption... own) {
        List<MethodOption> out = new ArrayList<>(List.of(
                MethodOption.number("--lr", "base learning rate > 0", lr),
                MethodOption.number("--momentum", "momentum in [0, 1)", momentum),
                MethodOption.number("--weight-decay", "weight decay >= 0 on conv/linear weights (biases and batch norm: none)", weightDecay),
                MethodOption.flag("--nesterov", "Nesterov momentum (needs momentum > 0)")));
        out.addAll(List.of(own));
        return out;
    }

    /** The settings from the option values, each rule reported under its option. */
    static MomentumSettings read(OptionValues v) {
        double lr = v.number("--lr"), momentum = v.number("--momentum"), weightDecay = v.number("--weight-decay");
        boolean nesterov = v.flag("--nesterov");
        underName("--lr", () -> new Sgd.Settings(lr, 0, 0, 0, false));
        underName("--momentum", () -> new Sgd.Settings(0.1, momentum, 0, 0, false));
        underName("--weight-decay", () -> new Sgd.Settings(0.1, 0, 0, weightDecay, false));
        underName("--nesterov", () -> new Sgd.Settings(0.1, momentum, 0, 0, nesterov));
        return new MomentumSettings(lr, momentum, weightDecay, nesterov);
    }

    static void put(Map<String, String> out, MomentumSettings s) {
        out.put("--lr", Double.toString(s.lr()));
        out.put("--momentum", Double.toString(s.momentum()));
        out.put("--weight-decay", Double.toString(s.weightDecay()));
        out.put("--nesterov", Boolean.toString(s.nesterov()));
    }
}
