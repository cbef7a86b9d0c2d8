package io.sparsestep.dl4j;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One variable of an updater block: its name in the network (as {@code paramTable()} keys
 * it, e.g. {@code 0_W}), whether it is a prunable weight, where it lies in the block's
 * gradient and state ({@code start}, {@code length} floats) and its parameter view.
 */
record ParamRange(String name, boolean prunable, long start, long length, INDArray view) {}
