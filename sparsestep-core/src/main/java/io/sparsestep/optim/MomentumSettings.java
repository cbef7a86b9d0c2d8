package io.sparsestep.optim;

/**
 * The momentum-SGD settings of a masked method: learning rate, momentum, weight decay (on
 * conv/linear weights only) and Nesterov, with {@link Sgd.Settings}' rules (dampening 0).
 */
public record MomentumSettings(double lr, double momentum, double weightDecay, boolean nesterov) {
    public MomentumSettings {
        new Sgd.Settings(lr, momentum, 0, weightDecay, nesterov);
    }
}
