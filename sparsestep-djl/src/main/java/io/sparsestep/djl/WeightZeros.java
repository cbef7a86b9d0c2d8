package io.sparsestep.djl;

import ai.djl.nn.Parameter;
import io.sparsestep.backend.cpu.ExactZeros;

/** The exact zeros of a prunable weight as its parameter holds it now (the core's {@link ExactZeros} count). */
final class WeightZeros {
    private WeightZeros() {}

    /** Counts the parameter's array; refuses one not initialized yet. */
    static ExactZeros of(ParameterRoles.Role role) {
        return ExactZeros.of(initialized(role).getArray().toFloatArray());
    }

    /** The role's parameter, refused when it is not initialized yet. */
    static Parameter initialized(ParameterRoles.Role role) {
        if (!role.parameter().isInitialized()) {
            throw new IllegalStateException(role.name() + " is not initialized yet; sparsity is counted after the block is initialized");
        }
        return role.parameter();
    }
}
