package io.sparsestep.backend;

/** Pooling reduction. Max pooling routes the gradient to the first maximum in the window. */
public enum PoolMode { MAX, AVERAGE }
