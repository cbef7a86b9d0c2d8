package io.sparsestep.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * sparsestep's PTX modules loaded into one CUDA context, and the launch path every kernel
 * goes through. The PTX is built from kernels/*.cu and shipped as classpath resources
 * {@code /io/sparsestep/kernels/<module>.ptx}; the driver JIT-compiles it for the GPU at
 * load time (once per context; the driver caches the result on disk).
 */
final class LoadedKernels implements AutoCloseable {
    static final String RESOURCE_DIR = "/io/sparsestep/kernels/";

    private final CudaDriver driver;
    private final List<Long> modules = new ArrayList<>();
    private final Map<KernelSignature, Long> functions = new EnumMap<>(KernelSignature.class);
    private final int multiprocessors;

    private LoadedKernels(CudaDriver driver, int multiprocessors) {
        this.driver = driver;
        this.multiprocessors = multiprocessors;
    }

    /** Loads the named modules ("optim", "elementwise", "loss") from the classpath into the calling thread's current context. */
    static LoadedKernels load(CudaDriver driver, String... moduleNames) {
        return load(driver, LoadedKernels::readPtx, moduleNames);
    }

    /** As {@link #load(CudaDriver, String...)}, with the PTX text of each module from {@code ptx}. */
    static LoadedKernels load(CudaDriver driver, Function<String, byte[]> ptx, String... moduleNames) {
        int sms = driver.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, driver.currentDevice());
        LoadedKernels k = new LoadedKernels(driver, sms);
        try {
            for (String name : moduleNames) {
                long module = driver.moduleLoadPtx(ptx.apply(name), name + ".ptx");
                k.modules.add(module);
                for (KernelSignature s : KernelSignature.values()) {
                    if (s.module().equals(name)) k.functions.put(s, driver.moduleFunction(module, s.kernel()));
                }
            }
            return k;
        } catch (RuntimeException e) {
            k.close();
            throw e;
        }
    }

    /** The PTX text of a module from the classpath, or CudaUnavailableException saying it is not there. */
    static byte[] readPtx(String module) {
        String resource = RESOURCE_DIR + module + ".ptx";
        try (InputStream in = LoadedKernels.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CudaUnavailableException("CUDA unavailable: PTX kernel resource " + resource
                        + " is not on the classpath; build kernels/*.cu with native-build/build.sh (needs nvcc) or use the CPU backend");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CudaUnavailableException("CUDA unavailable: cannot read PTX resource " + resource + ": " + e.getMessage(), e);
        }
    }

    int multiprocessors() { return multiprocessors; }

    /** Launches {@code kernel} after checking that {@code args} match its parameters. */
    void launch(KernelSignature kernel, LaunchConfig config, long stream, KernelArgs args) {
        Long function = functions.get(kernel);
        if (function == null) throw new IllegalStateException("module " + kernel.module() + " not loaded for " + kernel.kernel());
        args.check(kernel);
        driver.launch(function, kernel.kernel(), config.gridX(), config.blockX(), 0, stream, args.pointers());
    }

    /** Launches a flat grid-stride kernel over {@code elements}; nothing to do for 0 elements. */
    void launchFlat(KernelSignature kernel, long elements, long stream, KernelArgs args) {
        if (elements == 0) return;
        launch(kernel, LaunchConfig.flat(elements, multiprocessors), stream, args);
    }

    @Override
    public void close() {
        for (long m : modules) {
            try {
                driver.moduleUnload(m);
            } catch (CudaException ignored) {
                // the context may already be gone; nothing else to free
            }
        }
        modules.clear();
        functions.clear();
    }
}
