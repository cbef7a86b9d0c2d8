package io.sparsestep.djl;

import ai.djl.nn.Parameter;

/** The exact zeros (+0.0 and -0.0) of a prunable weight as its parameter holds it now, and its size. */
record WeightZeros(long zeros, long size) {

    /** Counts the parameter's array; refuses one not initialized yet. */
    static WeightZeros of(ParameterRoles.Role role) {
        float[] values = initialized(role).getArray().toFloatArray();
        long zeros = 0;
        for (float v : values) if (v == 0f) zeros++;
        return new WeightZeros(zeros, values.length);
    }

    /** The role's parameter, refused when it is not initialized yet. */
    static Parameter initialized(ParameterRoles.Role role) {
        if (!role.parameter().isInitialized()) {
            throw new IllegalStateException(role.name() + " is not initialized yet; sparsity is counted after the block is initialized");
        }
        return role.parameter();
    }

    double share() { return (double) zeros / size; }
}
