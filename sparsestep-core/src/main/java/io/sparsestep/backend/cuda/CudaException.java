package io.sparsestep.backend.cuda;

/**
 * A CUDA driver, cuBLAS or cuDNN call returned an error. The message names the function,
 * the library's name for the error code and the library's own description, e.g.
 * {@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory}.
 */
public final class CudaException extends RuntimeException {
    private final String library;
    private final String function;
    private final int code;
    private final String errorName;

    public CudaException(String library, String function, int code, String errorName, String description) {
        super(CudaUnavailableException.oneLine(function + " failed: " + errorName + " (" + code + ")"
                + (description == null || description.isBlank() || description.equals(errorName) ? "" : ": " + description)
                + " [" + library + "]"));
        this.library = library;
        this.function = function;
        this.code = code;
        this.errorName = errorName;
    }

    /** "CUDA driver", "cuBLAS" or "cuDNN". */
    public String library() { return library; }

    /** The C function that failed, e.g. {@code cuLaunchKernel(grda_step)}. */
    public String function() { return function; }

    /** The raw status code (CUresult, cublasStatus_t or cudnnStatus_t). */
    public int code() { return code; }

    /** The library's symbolic name of {@link #code()}, e.g. {@code CUDNN_STATUS_BAD_PARAM}. */
    public String errorName() { return errorName; }
}
