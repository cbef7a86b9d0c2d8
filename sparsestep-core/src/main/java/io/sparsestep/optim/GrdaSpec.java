package io.sparsestep.optim;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sparsestep.optim.HyperparameterException.underName;

/**
 * gRDA (directional pruning, Chao et al. 2020) as a method: lr, threshold scale c, exponent
 * mu, and c for biases and batch norm. The rules are {@link Grda.Settings}'.
 */
public record GrdaSpec(double lr, double c, double mu, double biasNormC) implements MethodSpec {
    public static final Method METHOD = new Method("grda", "gRDA",
            "directional pruning: dual averaging with a soft threshold that grows with the step count",
            "conv/linear weights (biases and batch norm too when --bias-bn-c > 0)",
            thresholdOptions("0.01"),
            v -> new GrdaSpec(v.number("--lr"), v.number("--c"), v.number("--mu"), v.number("--bias-bn-c")));

    public GrdaSpec {
        checkThresholdOptions(lr, c, mu, biasNormC);
    }

    /** gRDA's options (--lr, --c, --mu, --bias-bn-c), which sDprun takes too, with its own default c. */
    static List<MethodOption> thresholdOptions(String defaultC) {
        return List.of(MethodOption.number("--lr", "base learning rate > 0", "0.1"),
                MethodOption.number("--c", "threshold scale c >= 0 (train: or auto, the largest c that keeps SGD's accuracy, found by `sparsestep tune` first)", defaultC),
                MethodOption.number("--mu", "threshold exponent, 0 < mu < 1 (the theory assumes mu > 0.5; the authors also ran 0.4)", "0.6"),
                MethodOption.number("--bias-bn-c", "c for biases and batch norm (0 keeps them dense)", "0"));
    }

    /** The settings' own rules, reported under the option that set the value. */
    static void checkThresholdOptions(double lr, double c, double mu, double biasNormC) {
        underName("--lr", () -> new Grda.Settings(lr, 0, 0.6));
        underName("--c", () -> new Grda.Settings(0.1, c, 0.6));
        underName("--mu", () -> new Grda.Settings(0.1, 0, mu));
        underName("--bias-bn-c", () -> new Grda.Settings(0.1, biasNormC, 0.6));
    }

    /** The values of {@link #thresholdOptions}, as text. */
    static Map<String, String> thresholdOptionValues(double lr, double c, double mu, double biasNormC) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("--lr", Double.toString(lr));
        out.put("--c", Double.toString(c));
        out.put("--mu", Double.toString(mu));
        out.put("--bias-bn-c", Double.toString(biasNormC));
        return out;
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public Grda build(ParamSpace space, TrainingPlan plan) {
        return Grda.builder().lr(lr).c(c).mu(mu).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(biasNormC)).build(space);
    }

    @Override
    public Map<String, String> options() { return thresholdOptionValues(lr, c, mu, biasNormC); }
}
