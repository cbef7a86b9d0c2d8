package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.Map;

/**
 * One training method with all its hyperparameters, checked: what a run is configured
 * with instead of a string. Each method is a record implementing this, declaring its
 * {@link Method} (id, options, parser) for the registry.
 */
public sealed interface MethodSpec permits GrdaSpec, SgdSpec, GsmSpec, GmpSpec, DropPruningSpec, MagnitudeSpec, CampfireSpec, FilterPruningSpec, SlimmingSpec, SdprunSpec, FixedMaskSpec {
    /** The registry entry this spec belongs to. */
    Method method();

    /** The optimizer over a model's parameters for a run of {@code plan} (allocates its state buffers once). */
    Optimizer build(ParamSpace space, TrainingPlan plan);

    /** The optimizer for a run nothing is known about ({@link TrainingPlan#UNSPECIFIED}: a benchmark, an embedding). */
    default Optimizer build(ParamSpace space) { return build(space, TrainingPlan.UNSPECIFIED); }

    /** Base learning rate (the schedule multiplies it). */
    double lr();

    /** Every option with its value, as text: enough to rebuild this spec with {@link Method#parse}. */
    Map<String, String> options();

    /**
     * The {@code --bn-recalibrate} setting ({@code off}, {@code eval} or {@code end}) of this
     * method's runs when the option is left out: {@code off} (the running statistics as trained)
     * unless a method's weights need the batch-norm statistics recomputed to evaluate well.
     */
    default String bnRecalibrateDefault() { return "off"; }
}
