package io.sparsestep.optim;

import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * sDprun (structured directional pruning, Li et al. 2021) as a method: gRDA's lr, c, mu and
 * c for biases and batch norm (the rules are {@link Grda.Settings}'), plus how conv weights
 * are grouped ({@code --groups filters|channels}; linear layers always by rows) and the
 * group threshold's scale ({@code --group-lambda sqrt|1}). The paper's group definition and
 * constant are unknown; these are our choices (ALGORITHMS.md 2, [G]).
 */
public record SdprunSpec(double lr, double c, double mu, double biasNormC, Grouping groups, Sdprun.Lambda lambda) implements MethodSpec {
    public static final Method METHOD = new Method("sdprun", "sDprun",
            "structured directional pruning: gRDA's accumulator and threshold with a group soft-threshold that zeroes whole filters",
            "whole groups of conv/linear weights: conv output filters (or input channels), linear rows; sparsity counts conv/linear weights",
            methodOptions(),
            v -> new SdprunSpec(v.number("--lr"), v.number("--c"), v.number("--mu"), v.number("--bias-bn-c"),
                    grouping(v.choice("--groups")), Sdprun.Lambda.of(v.choice("--group-lambda"))));

    /** The default threshold scale (see README, "sDprun recipe"). */
    static final String DEFAULT_C = "0.01";

    /** gRDA's options (with sDprun's own default c), then the grouping and lambda. */
    private static List<MethodOption> methodOptions() {
        List<MethodOption> out = new ArrayList<>(GrdaSpec.thresholdOptions(DEFAULT_C));
        out.add(MethodOption.choice("--groups", "how conv weights are grouped: filters (W[o,:,:,:]) or channels (W[:,i,:,:]); "
                + "linear layers always by rows", "filters", List.of("filters", "channels")));
        out.add(MethodOption.choice("--group-lambda", "group threshold scale lambda_G: sqrt (sqrt of the group size) or 1",
                "sqrt", List.of("sqrt", "1")));
        return out;
    }

    public SdprunSpec {
        GrdaSpec.checkThresholdOptions(lr, c, mu, biasNormC);
        if (groups != Grouping.FILTERS && groups != Grouping.CHANNELS) {
            throw new IllegalArgumentException("--groups must be one of filters, channels; got " + (groups == null ? "nothing" : "'" + groups.id() + "'"));
        }
        if (lambda == null) throw new IllegalArgumentException("--group-lambda must be one of sqrt, 1; got nothing");
    }

    private static Grouping grouping(String id) {
        for (Grouping g : Grouping.values()) if (g.id().equals(id)) return g;
        throw new IllegalArgumentException("--groups must be one of filters, channels; got '" + id + "'");
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public Sdprun build(ParamSpace space, TrainingPlan plan) {
        return Sdprun.builder().lr(lr).c(c).mu(mu).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(biasNormC))
                .grouping(groups).lambda(lambda).build(space);
    }

    /**
     * {@code eval}: a zeroed filter's channel keeps a running variance of about 1e-12 that the
     * eval-mode forward divides by sqrt(eps), so a filter that revives is amplified until the
     * statistics catch up (docs/EXPERIMENTS.md, "Structured pruning on ResNet-20").
     */
    @Override
    public String bnRecalibrateDefault() { return "eval"; }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = GrdaSpec.thresholdOptionValues(lr, c, mu, biasNormC);
        out.put("--groups", groups.id());
        out.put("--group-lambda", lambda.id());
        return out;
    }
}
