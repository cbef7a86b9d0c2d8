package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Momentum SGD under a pruning mask: the step of every method that trains a fixed pattern
 * between mask updates (gradual magnitude pruning, one-shot magnitude, DropPruning). Conv
 * and linear weights take {@code StepOps.maskedSgd}: a pruned weight gets no gradient and is
 * held at +0.0; weight decay acts on the kept weights only. Biases and batch norm are never
 * masked and never decayed (the convention of the GSM authors' code, ALGORITHMS.md 3.1, which
 * we use for every masked method [G]). With a mask that keeps everything this is exactly
 * {@link Sgd} (dampening 0, decay on the weights only), bit for bit. PyTorch's first-step rule:
 * the momentum buffer starts as the first gradient.
 */
final class MaskedMomentum implements AutoCloseable {
    private final Backend be;
    private final MomentumSettings s;
    private final Mask mask;
    private final ParamBuffer momentum; // null without momentum
    private final PrunableTensors prunable;
    private final Tensor w, g, m, wb, gb, mb;
    private boolean first = true;

    MaskedMomentum(ParamSpace space, MomentumSettings settings, String label) {
        this.be = space.backend();
        this.s = settings;
        this.mask = Mask.keepingAll(space, label + ".mask");
        ParamBuffer buf = null;
        try {
            buf = settings.momentum() != 0 ? space.allocateLike(label + ".momentum") : null;
            this.prunable = new PrunableTensors(space, mask);
        } catch (RuntimeException e) {
            // a failed optimizer must not keep memory on a backend that others share
            if (buf != null) buf.close();
            mask.close();
            throw e;
        }
        this.momentum = buf;
        this.w = space.values().group(ParamGroup.WEIGHTS);
        this.g = space.grads().group(ParamGroup.WEIGHTS);
        this.m = momentum == null ? null : momentum.group(ParamGroup.WEIGHTS);
        boolean biases = space.layout().nonEmptyGroups().contains(ParamGroup.BIAS_AND_NORM);
        this.wb = biases ? space.values().group(ParamGroup.BIAS_AND_NORM) : null;
        this.gb = biases ? space.grads().group(ParamGroup.BIAS_AND_NORM) : null;
        this.mb = biases && momentum != null ? momentum.group(ParamGroup.BIAS_AND_NORM) : null;
    }

    Mask mask() { return mask; }

    /** The prunable tensors' views (values, gradients, this mask) and the selection scratch. */
    PrunableTensors prunable() { return prunable; }

    MomentumSettings settings() { return s; }

    /** One step: the masked weights, then the biases and batch norm unmasked and undecayed. */
    void step(double lrFactor) {
        float lr = (float) (s.lr() * lrFactor);
        be.steps().maskedSgd(w, g, m, mask.all(), lr, (float) s.momentum(), 0f, (float) s.weightDecay(), s.nesterov(), first, true);
        biasStep(lr);
        first = false;
    }

    /** The unmasked, undecayed step of biases and batch norm (also GSM's). */
    void biasStep(float lr) {
        if (wb != null) be.steps().sgd(wb, gb, mb, lr, (float) s.momentum(), 0f, 0f, s.nesterov(), first);
    }

    /** Marks the end of a step that did not go through {@link #step} (GSM's). */
    void stepped() { first = false; }

    /** Sets the weights the mask prunes to +0.0 now (after a mask update, before the next forward pass). */
    void zeroPruned(ParamSpace space) { mask.applyTo(space.values()); }

    boolean firstStep() { return first; }

    Tensor momentum(ParamGroup group) { return momentum == null ? null : momentum.group(group); }

    /** Buffers and masks for {@link OptimizerState}. */
    Map<String, ParamBuffer> buffers() { return momentum == null ? Map.of() : Map.of("momentum", momentum); }

    Map<String, Mask> masks() { return Map.of("prune", mask); }

    void putScalars(Map<String, Double> scalars) { scalars.put("first_step", first ? 1.0 : 0.0); }

    void restoreScalars(Map<String, Double> scalars, String method) {
        double f = StateScalars.require(scalars, "first_step", method);
        if (f != 0 && f != 1) throw new IllegalArgumentException(method + " state: first_step must be 0 or 1, got " + f);
        first = f == 1;
    }

    long stateBytes() { return (momentum == null ? 0 : 4 * momentum.buffer().words()) + mask.size() + 4L * prunable.scratch().size(); }

    Map<String, Object> hyperparameters() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(ParamGroup.WEIGHTS.id(), Map.of("lr", s.lr(), "momentum", s.momentum(), "weight_decay", s.weightDecay(), "nesterov", s.nesterov(),
                "masked", true));
        out.put(ParamGroup.BIAS_AND_NORM.id(), Map.of("lr", s.lr(), "momentum", s.momentum(), "weight_decay", 0.0, "nesterov", s.nesterov(),
                "masked", false));
        return out;
    }

    @Override
    public void close() {
        prunable.close();
        mask.close();
        if (momentum != null) momentum.close();
    }
}
