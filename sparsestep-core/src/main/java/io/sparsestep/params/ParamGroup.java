package io.sparsestep.params;

/**
 * Optimizer groups. Parameters are laid out in the flat buffer group by group, so each
 * group is one contiguous range and one fused optimizer pass; a group can get its own
 * hyperparameters or be excluded from pruning.
 */
public enum ParamGroup {
    /** Convolution and linear weights: what pruning targets and what sparsity counts. */
    WEIGHTS("weights"),
    /** Biases and batch-norm scale/shift: small, usually kept dense. */
    BIAS_AND_NORM("bias_bn");

    private final String id;

    ParamGroup(String id) { this.id = id; }

    /** Name used on the command line and in summaries. */
    public String id() { return id; }
}
