/**
 * The CUDA backend, bound to NVIDIA's C libraries with java.lang.foreign (no JNI).
 *
 * <ul>
 *   <li>{@link io.sparsestep.backend.cuda.CudaBackend}: the {@link io.sparsestep.backend.Backend}
 *       on one GPU; {@code CudaBackend.open()}, {@code CudaBackend.unavailableReason()}.</li>
 *   <li>{@link io.sparsestep.backend.cuda.CudaFusedSteps}: the fused gRDA and SGD steps on raw
 *       device pointers, for frameworks that own their memory.</li>
 *   <li>{@link io.sparsestep.backend.cuda.CudaDoctor}: what CUDA stack is here, and every op
 *       checked against the CPU backend ({@link io.sparsestep.backend.cuda.ConformanceChecks}).</li>
 *   <li>Bindings: {@link io.sparsestep.backend.cuda.CudaDriver} (libcuda.so.1),
 *       {@link io.sparsestep.backend.cuda.Cublas}, {@link io.sparsestep.backend.cuda.Cudnn}
 *       (legacy descriptor API); sparsestep's own kernels are the PTX resources
 *       {@code /io/sparsestep/kernels/*.ptx}, built from kernels/*.cu.</li>
 *   <li>Finding the libraries: {@link io.sparsestep.backend.cuda.CudaLibraryLocator} (override
 *       {@code SPARSESTEP_CUDA_LIBDIR} / {@code -Dsparsestep.cuda.libdir}, then pip wheels under
 *       site-packages, then the system loader, then the CUDA toolkit), loaded dependencies first
 *       by {@link io.sparsestep.backend.cuda.CudaLibraryLoader}.</li>
 * </ul>
 *
 * Every failure to find or start CUDA is a one-line
 * {@link io.sparsestep.backend.cuda.CudaUnavailableException}; every failing library call is a
 * {@link io.sparsestep.backend.cuda.CudaException} naming the function and the library's error.
 */
package io.sparsestep.backend.cuda;
