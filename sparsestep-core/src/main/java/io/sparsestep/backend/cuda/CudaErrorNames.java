package io.sparsestep.backend.cuda;

/**
 * Symbolic names of the status codes of the CUDA driver (CUresult), cuBLAS
 * (cublasStatus_t) and cuDNN (cudnnStatus_t). The libraries' own name functions are the
 * primary source ({@code cuGetErrorName}, {@code cudnnGetErrorString}); these tables are
 * the fallback when a library cannot answer (not loaded, or too old), and they make error
 * messages testable without a GPU.
 *
 * <p>cuDNN renumbered its statuses in 9.0: categories of a thousand (1xxx initialisation,
 * 2xxx bad parameter, 3xxx not supported, 4xxx internal error, 5xxx execution failed),
 * where 8.x counted 0..14. The same number means different things in the two, so the
 * major version of the loaded library picks the table.
 */
public final class CudaErrorNames {
    private CudaErrorNames() {}

    /** CUresult name from CUDA 13's cuda.h; unknown codes read {@code CUDA_ERROR_<code>}. */
    public static String cuResult(int code) {
        return switch (code) {
            case 0 -> "CUDA_SUCCESS";
            case 1 -> "CUDA_ERROR_INVALID_VALUE";
            case 2 -> "CUDA_ERROR_OUT_OF_MEMORY";
            case 3 -> "CUDA_ERROR_NOT_INITIALIZED";
            case 4 -> "CUDA_ERROR_DEINITIALIZED";
            case 5 -> "CUDA_ERROR_PROFILER_DISABLED";
            case 6 -> "CUDA_ERROR_PROFILER_NOT_INITIALIZED";
            case 7 -> "CUDA_ERROR_PROFILER_ALREADY_STARTED";
            case 8 -> "CUDA_ERROR_PROFILER_ALREADY_STOPPED";
            case 34 -> "CUDA_ERROR_STUB_LIBRARY";
            case 36 -> "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER";
            case 46 -> "CUDA_ERROR_DEVICE_UNAVAILABLE";
            case 100 -> "CUDA_ERROR_NO_DEVICE";
            case 101 -> "CUDA_ERROR_INVALID_DEVICE";
            case 102 -> "CUDA_ERROR_DEVICE_NOT_LICENSED";
            case 200 -> "CUDA_ERROR_INVALID_IMAGE";
            case 201 -> "CUDA_ERROR_INVALID_CONTEXT";
            case 202 -> "CUDA_ERROR_CONTEXT_ALREADY_CURRENT";
            case 205 -> "CUDA_ERROR_MAP_FAILED";
            case 206 -> "CUDA_ERROR_UNMAP_FAILED";
            case 207 -> "CUDA_ERROR_ARRAY_IS_MAPPED";
            case 208 -> "CUDA_ERROR_ALREADY_MAPPED";
            case 209 -> "CUDA_ERROR_NO_BINARY_FOR_GPU";
            case 210 -> "CUDA_ERROR_ALREADY_ACQUIRED";
            case 211 -> "CUDA_ERROR_NOT_MAPPED";
            case 212 -> "CUDA_ERROR_NOT_MAPPED_AS_ARRAY";
            case 213 -> "CUDA_ERROR_NOT_MAPPED_AS_POINTER";
            case 214 -> "CUDA_ERROR_ECC_UNCORRECTABLE";
            case 215 -> "CUDA_ERROR_UNSUPPORTED_LIMIT";
            case 216 -> "CUDA_ERROR_CONTEXT_ALREADY_IN_USE";
            case 217 -> "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED";
            case 218 -> "CUDA_ERROR_INVALID_PTX";
            case 219 -> "CUDA_ERROR_INVALID_GRAPHICS_CONTEXT";
            case 220 -> "CUDA_ERROR_NVLINK_UNCORRECTABLE";
            case 221 -> "CUDA_ERROR_JIT_COMPILER_NOT_FOUND";
            case 222 -> "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
            case 223 -> "CUDA_ERROR_JIT_COMPILATION_DISABLED";
            case 224 -> "CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY";
            case 225 -> "CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC";
            case 226 -> "CUDA_ERROR_CONTAINED";
            case 300 -> "CUDA_ERROR_INVALID_SOURCE";
            case 301 -> "CUDA_ERROR_FILE_NOT_FOUND";
            case 302 -> "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND";
            case 303 -> "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED";
            case 304 -> "CUDA_ERROR_OPERATING_SYSTEM";
            case 400 -> "CUDA_ERROR_INVALID_HANDLE";
            case 401 -> "CUDA_ERROR_ILLEGAL_STATE";
            case 402 -> "CUDA_ERROR_LOSSY_QUERY";
            case 500 -> "CUDA_ERROR_NOT_FOUND";
            case 600 -> "CUDA_ERROR_NOT_READY";
            case 700 -> "CUDA_ERROR_ILLEGAL_ADDRESS";
            case 701 -> "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
            case 702 -> "CUDA_ERROR_LAUNCH_TIMEOUT";
            case 703 -> "CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING";
            case 704 -> "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED";
            case 705 -> "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED";
            case 708 -> "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE";
            case 709 -> "CUDA_ERROR_CONTEXT_IS_DESTROYED";
            case 710 -> "CUDA_ERROR_ASSERT";
            case 711 -> "CUDA_ERROR_TOO_MANY_PEERS";
            case 712 -> "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED";
            case 713 -> "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED";
            case 714 -> "CUDA_ERROR_HARDWARE_STACK_ERROR";
            case 715 -> "CUDA_ERROR_ILLEGAL_INSTRUCTION";
            case 716 -> "CUDA_ERROR_MISALIGNED_ADDRESS";
            case 717 -> "CUDA_ERROR_INVALID_ADDRESS_SPACE";
            case 718 -> "CUDA_ERROR_INVALID_PC";
            case 719 -> "CUDA_ERROR_LAUNCH_FAILED";
            case 720 -> "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE";
            case 721 -> "CUDA_ERROR_TENSOR_MEMORY_LEAK";
            case 800 -> "CUDA_ERROR_NOT_PERMITTED";
            case 801 -> "CUDA_ERROR_NOT_SUPPORTED";
            case 802 -> "CUDA_ERROR_SYSTEM_NOT_READY";
            case 803 -> "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
            case 804 -> "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
            case 805 -> "CUDA_ERROR_MPS_CONNECTION_FAILED";
            case 806 -> "CUDA_ERROR_MPS_RPC_FAILURE";
            case 807 -> "CUDA_ERROR_MPS_SERVER_NOT_READY";
            case 808 -> "CUDA_ERROR_MPS_MAX_CLIENTS_REACHED";
            case 809 -> "CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED";
            case 810 -> "CUDA_ERROR_MPS_CLIENT_TERMINATED";
            case 811 -> "CUDA_ERROR_CDP_NOT_SUPPORTED";
            case 812 -> "CUDA_ERROR_CDP_VERSION_MISMATCH";
            case 900 -> "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
            case 901 -> "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
            case 902 -> "CUDA_ERROR_STREAM_CAPTURE_MERGE";
            case 903 -> "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED";
            case 904 -> "CUDA_ERROR_STREAM_CAPTURE_UNJOINED";
            case 905 -> "CUDA_ERROR_STREAM_CAPTURE_ISOLATION";
            case 906 -> "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT";
            case 907 -> "CUDA_ERROR_CAPTURED_EVENT";
            case 908 -> "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD";
            case 909 -> "CUDA_ERROR_TIMEOUT";
            case 910 -> "CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE";
            case 911 -> "CUDA_ERROR_EXTERNAL_DEVICE";
            case 912 -> "CUDA_ERROR_INVALID_CLUSTER_SIZE";
            case 913 -> "CUDA_ERROR_FUNCTION_NOT_LOADED";
            case 914 -> "CUDA_ERROR_INVALID_RESOURCE_TYPE";
            case 915 -> "CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION";
            case 916 -> "CUDA_ERROR_KEY_ROTATION";
            case 999 -> "CUDA_ERROR_UNKNOWN";
            default -> "CUDA_ERROR_" + code;
        };
    }

    /** cublasStatus_t name (the values have been stable from cuBLAS 10 to 13). */
    public static String cublasStatus(int code) {
        return switch (code) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS_STATUS_" + code;
        };
    }

    /**
     * cudnnStatus_t name for a library of the given major version (8 or 9; later majors are
     * read as 9). An unknown 9.x code is named by its category, e.g.
     * {@code CUDNN_STATUS_BAD_PARAM_2099}, so a newer sub-code still says what kind of error it is.
     */
    public static String cudnnStatus(int code, int major) {
        return major >= 9 ? cudnn9(code) : cudnn8(code);
    }

    /** Whether a cuDNN status says "these arguments cannot run with this algorithm" (try another one). */
    static boolean cudnnRejectsArguments(int code, int major) {
        if (major >= 9) return code / 1000 == 2 || code / 1000 == 3;
        return code == 3 || code == 9; // BAD_PARAM, NOT_SUPPORTED
    }

    private static String cudnn8(int code) {
        return switch (code) {
            case 0 -> "CUDNN_STATUS_SUCCESS";
            case 1 -> "CUDNN_STATUS_NOT_INITIALIZED";
            case 2 -> "CUDNN_STATUS_ALLOC_FAILED";
            case 3 -> "CUDNN_STATUS_BAD_PARAM";
            case 4 -> "CUDNN_STATUS_INTERNAL_ERROR";
            case 5 -> "CUDNN_STATUS_INVALID_VALUE";
            case 6 -> "CUDNN_STATUS_ARCH_MISMATCH";
            case 7 -> "CUDNN_STATUS_MAPPING_ERROR";
            case 8 -> "CUDNN_STATUS_EXECUTION_FAILED";
            case 9 -> "CUDNN_STATUS_NOT_SUPPORTED";
            case 10 -> "CUDNN_STATUS_LICENSE_ERROR";
            case 11 -> "CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING";
            case 12 -> "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
            case 13 -> "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
            case 14 -> "CUDNN_STATUS_VERSION_MISMATCH";
            default -> "CUDNN_STATUS_" + code;
        };
    }

    private static String cudnn9(int code) {
        return switch (code) {
            case 0 -> "CUDNN_STATUS_SUCCESS";
            case 1001 -> "CUDNN_STATUS_NOT_INITIALIZED";
            case 1002 -> "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
            case 1003 -> "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH";
            case 1004 -> "CUDNN_STATUS_DEPRECATED";
            case 1005 -> "CUDNN_STATUS_LICENSE_ERROR";
            case 1006 -> "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
            case 1007 -> "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
            case 1008 -> "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
            case 2000 -> "CUDNN_STATUS_BAD_PARAM";
            case 2001 -> "CUDNN_STATUS_INVALID_VALUE";
            case 2002 -> "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
            case 2003 -> "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
            case 2004 -> "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED";
            case 2005 -> "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
            case 2006 -> "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
            case 2007 -> "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
            case 2008 -> "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
            case 2009 -> "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES";
            case 2010 -> "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE";
            case 2011 -> "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH";
            case 2012 -> "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE";
            case 3000 -> "CUDNN_STATUS_NOT_SUPPORTED";
            case 3001 -> "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN";
            case 3002 -> "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
            case 3003 -> "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
            case 3004 -> "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
            case 3005 -> "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER";
            case 3006 -> "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART";
            case 3007 -> "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH";
            case 3008 -> "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING";
            case 3009 -> "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE";
            case 3010 -> "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT";
            case 3011 -> "CUDNN_STATUS_NOT_SUPPORTED_PADDING";
            case 3012 -> "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM";
            case 3013 -> "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API";
            case 3014 -> "CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE";
            case 4000 -> "CUDNN_STATUS_INTERNAL_ERROR";
            case 4001 -> "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED";
            case 4002 -> "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE";
            case 4003 -> "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
            case 4004 -> "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED";
            case 4005 -> "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM";
            case 4006 -> "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED";
            case 5000 -> "CUDNN_STATUS_EXECUTION_FAILED";
            case 5001 -> "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER";
            case 5002 -> "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS";
            case 5003 -> "CUDNN_STATUS_EXECUTION_FAILED_CUDART";
            case 5004 -> "CUDNN_STATUS_EXECUTION_FAILED_CURAND";
            default -> switch (code / 1000) {
                case 1 -> "CUDNN_STATUS_NOT_INITIALIZED_" + code;
                case 2 -> "CUDNN_STATUS_BAD_PARAM_" + code;
                case 3 -> "CUDNN_STATUS_NOT_SUPPORTED_" + code;
                case 4 -> "CUDNN_STATUS_INTERNAL_ERROR_" + code;
                case 5 -> "CUDNN_STATUS_EXECUTION_FAILED_" + code;
                default -> "CUDNN_STATUS_" + code;
            };
        };
    }
}
