package io.sparsestep.nn;

/** A non-trained tensor kept with the model (batch-norm running statistics). */
public record StateTensor(String name, int size, float initial, Slot value) {}
