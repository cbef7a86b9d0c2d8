package io.sparsestep.backend;

/**
 * A family of backend ops that lives in its own files: an interface here, one CPU file
 * ({@code backend.cpu.Cpu<Family>}), one CUDA file ({@code backend.cuda.Cuda<Family>}),
 * one {@code kernels/*.cu}, and one conformance class ({@code backend.cuda.<Family>Checks}
 * with a static {@code checks()}). {@link Backend} exposes each family through an accessor
 * that returns it; the conformance suite finds the families through those accessors, so a
 * family without checks fails the suite instead of being forgotten.
 */
public interface OpFamily {
}
