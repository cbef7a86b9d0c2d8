package io.sparsestep.backend.cuda;

/**
 * CUDA cannot be used on this machine: a library, the driver, a GPU or the PTX kernels are
 * missing. The message is always one line that says what was searched, what was found and
 * how to point sparsestep at the missing piece ({@code SPARSESTEP_CUDA_LIBDIR}), so a CLI can
 * print it as is and fall back to the CPU backend.
 */
public final class CudaUnavailableException extends RuntimeException {

    public CudaUnavailableException(String message) {
        super(oneLine(message));
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String message) {
        return message == null ? "CUDA unavailable" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
