package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Status-code decoding: CUresult fallback names, cuBLAS names, and cuDNN 9's renumbered statuses vs cuDNN 8's. */
class CudaErrorNamesTest {

    @Test
    void cuResultNamesFromCudaH() {
        assertEquals("CUDA_SUCCESS", CudaErrorNames.cuResult(0));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaErrorNames.cuResult(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaErrorNames.cuResult(100));
        assertEquals("CUDA_ERROR_INVALID_PTX", CudaErrorNames.cuResult(218));
        assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", CudaErrorNames.cuResult(222));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaErrorNames.cuResult(700));
        assertEquals("CUDA_ERROR_LAUNCH_FAILED", CudaErrorNames.cuResult(719));
        assertEquals("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", CudaErrorNames.cuResult(803));
        assertEquals("CUDA_ERROR_UNKNOWN", CudaErrorNames.cuResult(999));
        assertEquals("CUDA_ERROR_4242", CudaErrorNames.cuResult(4242));
    }

    @Test
    void cublasStatusNames() {
        assertEquals("CUBLAS_STATUS_SUCCESS", CudaErrorNames.cublasStatus(0));
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", CudaErrorNames.cublasStatus(1));
        assertEquals("CUBLAS_STATUS_ALLOC_FAILED", CudaErrorNames.cublasStatus(3));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CudaErrorNames.cublasStatus(7));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CudaErrorNames.cublasStatus(13));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", CudaErrorNames.cublasStatus(15));
        assertEquals("CUBLAS_STATUS_2", CudaErrorNames.cublasStatus(2));
    }

    @Test
    void cudnn9CategoriesOfAThousand() {
        assertEquals("CUDNN_STATUS_SUCCESS", CudaErrorNames.cudnnStatus(0, 9));
        assertEquals("CUDNN_STATUS_NOT_INITIALIZED", CudaErrorNames.cudnnStatus(1001, 9));
        assertEquals("CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED", CudaErrorNames.cudnnStatus(1008, 9));
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudaErrorNames.cudnnStatus(2000, 9));
        assertEquals("CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER", CudaErrorNames.cudnnStatus(2003, 9));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudaErrorNames.cudnnStatus(3000, 9));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH", CudaErrorNames.cudnnStatus(3007, 9));
        assertEquals("CUDNN_STATUS_INTERNAL_ERROR", CudaErrorNames.cudnnStatus(4000, 9));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED", CudaErrorNames.cudnnStatus(5000, 9));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED_CUBLAS", CudaErrorNames.cudnnStatus(5002, 9));
        // later majors keep 9's numbering
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudaErrorNames.cudnnStatus(2000, 10));
    }

    @Test
    void unknownCudnn9SubCodesKeepTheirCategory() {
        assertEquals("CUDNN_STATUS_BAD_PARAM_2099", CudaErrorNames.cudnnStatus(2099, 9));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED_3999", CudaErrorNames.cudnnStatus(3999, 9));
        assertEquals("CUDNN_STATUS_INTERNAL_ERROR_4100", CudaErrorNames.cudnnStatus(4100, 9));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED_5010", CudaErrorNames.cudnnStatus(5010, 9));
        assertEquals("CUDNN_STATUS_7", CudaErrorNames.cudnnStatus(7, 9));
    }

    @Test
    void cudnn8NumbersMeanSomethingElse() {
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudaErrorNames.cudnnStatus(3, 8));
        assertEquals("CUDNN_STATUS_INTERNAL_ERROR", CudaErrorNames.cudnnStatus(4, 8));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED", CudaErrorNames.cudnnStatus(8, 8));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudaErrorNames.cudnnStatus(9, 8));
        assertEquals("CUDNN_STATUS_VERSION_MISMATCH", CudaErrorNames.cudnnStatus(14, 8));
        assertEquals("CUDNN_STATUS_2000", CudaErrorNames.cudnnStatus(2000, 8));
        assertEquals("CUDNN_STATUS_3", CudaErrorNames.cudnnStatus(3, 9));
    }

    @Test
    void argumentRejectionsAreBadParamOrNotSupportedInEitherNumbering() {
        assertTrue(CudaErrorNames.cudnnRejectsArguments(2003, 9));
        assertTrue(CudaErrorNames.cudnnRejectsArguments(3000, 9));
        assertTrue(CudaErrorNames.cudnnRejectsArguments(3010, 9));
        assertFalse(CudaErrorNames.cudnnRejectsArguments(4000, 9));
        assertFalse(CudaErrorNames.cudnnRejectsArguments(5000, 9));
        assertFalse(CudaErrorNames.cudnnRejectsArguments(1001, 9));
        assertTrue(CudaErrorNames.cudnnRejectsArguments(3, 8));
        assertTrue(CudaErrorNames.cudnnRejectsArguments(9, 8));
        assertFalse(CudaErrorNames.cudnnRejectsArguments(8, 8));
        assertFalse(CudaErrorNames.cudnnRejectsArguments(2000, 8));
    }

    @Test
    void exceptionMessagesNameFunctionErrorAndDescription() {
        CudaException e = new CudaException("cuDNN", "cudnnConvolutionForward", 2003, "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER",
                "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER; x is not\n16-byte aligned");
        assertEquals("cudnnConvolutionForward failed: CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER (2003): "
                + "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER; x is not 16-byte aligned [cuDNN]", e.getMessage());
        assertEquals(2003, e.code());
        assertEquals("cudnnConvolutionForward", e.function());
        assertEquals("CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER", e.errorName());

        CudaException sameText = new CudaException("CUDA driver", "cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "CUDA_ERROR_OUT_OF_MEMORY");
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2) [CUDA driver]", sameText.getMessage());
    }

    @Test
    void unavailableMessagesAreAlwaysOneLine() {
        assertEquals("a b c", new CudaUnavailableException("a\n  b\r\nc").getMessage());
        assertEquals("CUDA unavailable", new CudaUnavailableException(null).getMessage());
    }

    @Test
    void versionEncodings() {
        assertEquals("9.1.0", Cudnn.versionString(90100));
        assertEquals("9.22.0", Cudnn.versionString(92200));
        assertEquals("8.9.2", Cudnn.versionString(8902));
        assertEquals("13.1.0", CudaBackend.cublasVersionString(130100));
        assertEquals("12.4.5", CudaBackend.cublasVersionString(120405));
        assertEquals("13.0", CudaBackend.DeviceInfo.cudaVersionString(13000));
        assertEquals("12.8", CudaBackend.DeviceInfo.cudaVersionString(12080));
    }
}
