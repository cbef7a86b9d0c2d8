package io.sparsestep.backend;

/**
 * One flat allocation of 32-bit words on a backend: the parameters of a network, its
 * gradients, one optimizer state, or the activation workspace. Everything else is a
 * {@link Tensor} view into one of these. A buffer is created by {@link Backend#allocate}
 * and freed by {@link #close()}; it is never resized.
 */
public interface Buffer extends AutoCloseable {
    /** Size in 32-bit words (floats, or ints for counters). */
    long words();

    /** The backend that owns this memory. */
    Backend backend();

    /** What the buffer holds ("params", "grads", "grda.acc", ...), for memory reports. */
    String label();

    /**
     * Raw address of the first word: a host address for the CPU backend, a device pointer
     * (CUdeviceptr) for CUDA. This is what an embedding framework would pass around.
     */
    long address();

    @Override
    void close();
}
