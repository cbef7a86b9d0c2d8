package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.Map;

/**
 * One training method with all its hyperparameters, checked: what a run is configured
 * with instead of a string. Each method is a record implementing this, declaring its
 * {@link Method} (id, options, parser) for the registry.
 */
public sealed interface MethodSpec permits GrdaSpec, SgdSpec, SdprunSpec {
    /** The registry entry this spec belongs to. */
    Method method();

    /** The optimizer over a model's parameters (allocates its state buffers once). */
    Optimizer build(ParamSpace space);

    /** Base learning rate (the schedule multiplies it). */
    double lr();

    /** Every option with its value, as text: enough to rebuild this spec with {@link Method#parse}. */
    Map<String, String> options();
}
