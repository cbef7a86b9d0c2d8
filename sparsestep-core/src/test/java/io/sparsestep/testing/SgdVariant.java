package io.sparsestep.testing;

import java.util.List;

/** One combination of SGD's options, in float32 as the fused step receives them. */
public record SgdVariant(float momentum, float dampening, float weightDecay, boolean nesterov) {
    /**
     * Every branch of PyTorch's SGD: momentum 0 (with and without weight decay, and with a
     * dampening that must be ignored) and > 0 (plain, dampened, fully dampened, with weight
     * decay, Nesterov with and without weight decay). Run each over a first and later steps.
     */
    public static final List<SgdVariant> ALL = List.of(
            new SgdVariant(0f, 0f, 0f, false),
            new SgdVariant(0f, 0f, 5e-4f, false),
            new SgdVariant(0f, 0.3f, 1e-4f, false),
            new SgdVariant(0.9f, 0f, 0f, false),
            new SgdVariant(0.9f, 0.5f, 0f, false),
            new SgdVariant(0.9f, 0.1f, 1e-4f, false),
            new SgdVariant(0.8f, 1f, 0f, false),
            new SgdVariant(0.98f, 0f, 0f, true),
            new SgdVariant(0.9f, 0f, 5e-4f, true));

    public boolean usesMomentum() {
        return momentum != 0f;
    }

    @Override
    public String toString() {
        return "momentum " + momentum + ", dampening " + dampening + ", weight decay " + weightDecay + (nesterov ? ", Nesterov" : "");
    }
}
