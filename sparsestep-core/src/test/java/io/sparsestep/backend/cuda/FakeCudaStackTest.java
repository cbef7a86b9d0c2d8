package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.ConformanceChecks.Result;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.LoadedLibrary;
import io.sparsestep.testing.Bits;
import io.sparsestep.testing.NativeToolchain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole CUDA backend, through java.lang.foreign, on the fake CUDA stack
 * ({@link FakeCudaStack}): a libcuda, libcublas(+Lt) and libcudnn(+graph) compiled from
 * fake/*.c that keep "device" memory on the host; cuBLAS and cuDNN compute naively in C,
 * and every kernel launch runs the real kernels/*.cu compiled for the host. Every binding
 * is called with the argument types, order and struct layouts the real libraries declare,
 * so a wrong descriptor, a swapped argument or a misread struct shows up here without a
 * GPU, and so does a kernel bug (the conformance checks compare each kernel with its Java
 * twin). Without gcc/g++ this fails with the install line (see {@link NativeToolchain}).
 */
@SuppressWarnings("restricted")
class FakeCudaStackTest {
    private static Path dir;
    private static LoadedLibrary driverLib;
    private static CudnnLibraries dnnLibs;
    private static CublasLibraries blasLibs;
    private static CudaDriver driver;
    private static CudaBackend fake;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() {
        FakeCudaStack.Loaded stack = FakeCudaStack.load();
        dir = FakeCudaStack.libraryDir();
        driverLib = stack.driverLibrary();
        blasLibs = stack.blas();
        dnnLibs = stack.dnn();
        driver = stack.driver();
        fake = stack.open();
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void tearDown() {
        if (fake != null) fake.close();
        if (cpu != null) cpu.close();
    }

    /**
     * Every conformance check passes on the real kernels (compiled for the host) against the
     * Java twins, and the checks launch every kernel of kernels/*.cu: a kernel no check runs
     * would be a kernel no test without a GPU runs.
     */
    @Test
    void everyConformanceCheckPassesThroughTheBindings() {
        Map<String, Long> before = hostKernelLaunches();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Result> results = CudaDoctor.compare(fake, cpu, CudaDoctor.SEED, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String failures = results.stream().filter(r -> !r.passed()).map(Result::line).collect(Collectors.joining("\n"));
        assertTrue(failures.isEmpty(), failures + "\nlast kernel launch error: " + FakeCudaStack.stringCall(driverLib.lookup(), "fake_last_launch_error"));
        Map<String, Long> after = hostKernelLaunches();
        List<String> neverLaunched = after.keySet().stream().filter(k -> after.get(k) <= before.get(k)).toList();
        assertEquals(List.of(), neverLaunched, "kernels the conformance checks never launched");
        for (String step : List.of("steps.grda", "steps.sgd", "steps.gsm", "steps.maskedSgd")) {
            Result paths = results.stream().filter(r -> r.name().equals(step + ".float4 split paths")).findFirst().orElseThrow();
            for (String path : ConformanceChecks.FLOAT4_PATHS) assertTrue(paths.note().contains(path), paths.line());
        }
    }

    /** The host library holds exactly the kernels the Java side binds (KernelSignature), so none runs untested. */
    @Test
    void theHostCompiledKernelsAreExactlyTheOnesJavaBinds() {
        Set<String> bound = Stream.of(KernelSignature.values()).map(KernelSignature::kernel).collect(Collectors.toSet());
        assertEquals(bound, hostKernelLaunches().keySet());
    }

    /** A kernel bug on purpose (the fake corrupts one output) is a failed check, so the checks do compare kernel results. */
    @Test
    void aBrokenKernelFailsItsConformanceCheck() {
        FakeCudaStack.voidCallWithString(driverLib.lookup(), "fake_break_kernel", "relu_forward");
        try {
            List<Result> results = ConformanceChecks.all().stream().filter(c -> c.name().equals("elementwise.reluForward"))
                    .flatMap(c -> c.run(fake, cpu, CudaDoctor.SEED).stream()).toList();
            assertTrue(results.stream().anyMatch(r -> !r.passed()), results.toString());
        } finally {
            FakeCudaStack.voidCallWithString(driverLib.lookup(), "fake_break_kernel", "");
        }
    }

    /**
     * Training allocates nothing on the CUDA backend either: after the first step (cuDNN
     * plans are made when the network is built), steps of the full and of a smaller batch,
     * the optimizer step and evaluation make no device allocation, as counted by the fake
     * driver's cuMemAlloc and by the backend.
     */
    @Test
    void trainingStepsAllocateNothingOnTheCudaBackend() {
        int[] in = {1, 16, 16};
        int batch = 4, classes = 10;
        try (Arena arena = Arena.ofConfined();
             var net = io.sparsestep.nn.Network.build("lenet5", fake, io.sparsestep.nn.Models.create("lenet5", in, classes), in, classes, batch, 3);
             var grda = io.sparsestep.optim.Grda.builder().lr(0.05).c(0.05).mu(0.6).build(net.paramSpace())) {
            net.prepareBatchSizes(batch - 1);
            MemorySegment x = arena.allocate(4L * batch * 16 * 16, 64), y = arena.allocate(4L * batch, 64);
            for (int i = 0; i < batch; i++) y.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % classes);
            float[] r = new float[2];
            Runnable steps = () -> {
                for (int n : new int[] {batch, batch - 1, batch}) {
                    fake.upload(x, net.input(n));
                    fake.upload(y, net.labels(n));
                    net.trainStep(n);
                    grda.step(1.0);
                    net.readLossAndCorrect(r);
                }
                net.evalStep(batch);
                net.readLossAndCorrect(r);
            };
            steps.run();
            long driverAllocations = FakeCudaStack.longCall(driverLib.lookup(), "fake_total_allocations");
            long backendAllocations = fake.allocationCount(), bytes = fake.bytesInUse();
            steps.run();
            steps.run();
            assertEquals(driverAllocations, FakeCudaStack.longCall(driverLib.lookup(), "fake_total_allocations"), "cuMemAlloc calls");
            assertEquals(backendAllocations, fake.allocationCount(), "backend allocations");
            assertEquals(bytes, fake.bytesInUse(), "bytes in use");
        }
    }

    /**
     * The raw-pointer embedding API's SGD step (CudaFusedSteps.sgdStep, the launch path the
     * public method ends in) runs the real sgd_step kernel and matches CpuFusedSteps.sgdStep
     * bit for bit, in every variant, over three steps, with pointers that agree modulo 16
     * bytes (float4 path) and pointers that do not.
     */
    @Test
    void theRawPointerSgdStepMatchesItsCpuTwinBitForBit() {
        LoadedKernels kernels = LoadedKernels.load(driver, "optim");
        int n = 1027;
        float[][] variants = {{0f, 0f, 0f, 0}, {0f, 0f, 5e-4f, 0}, {0.9f, 0f, 0f, 0}, {0.9f, 0.25f, 1e-3f, 0}, {0.9f, 0f, 5e-4f, 1}};
        try (kernels; Arena arena = Arena.ofConfined(); Buffer device = fake.allocate(3L * 1100, "raw sgd")) {
            for (int[] offsets : new int[][] {{0, 1100, 2200}, {1, 1101, 2201}, {0, 1101, 2203}}) {
                for (float[] v : variants) {
                    float momentum = v[0], dampening = v[1], wd = v[2];
                    boolean nesterov = v[3] != 0;
                    java.util.SplittableRandom rng = new java.util.SplittableRandom(offsets[2] * 31L + (long) (v[2] * 1e5));
                    MemorySegment w = randomFloats(arena, n, rng), m = arena.allocate(4L * n, 64);
                    Tensor wt = new Tensor(device, offsets[0], n), gt = new Tensor(device, offsets[1], n), mt = new Tensor(device, offsets[2], n);
                    fake.upload(w, wt);
                    for (int step = 0; step < 3; step++) {
                        MemorySegment g = randomFloats(arena, n, rng);
                        fake.upload(g, gt);
                        boolean first = step == 0;
                        CudaFusedSteps.sgdStep(kernels, wt.address(), gt.address(), momentum == 0f ? 0 : mt.address(), n, 0.05f,
                                momentum, dampening, wd, nesterov, first, fake.stream());
                        io.sparsestep.backend.cpu.CpuFusedSteps.sgdStep(w, g, m, n, 0.05f, momentum, dampening, wd, nesterov, first);
                        String what = "variant " + java.util.Arrays.toString(v) + " offsets " + java.util.Arrays.toString(offsets) + " step " + step;
                        Bits.assertSameBits(w.toArray(ValueLayout.JAVA_FLOAT), read(fake, wt), what + ": w");
                        if (momentum != 0f) Bits.assertSameBits(m.toArray(ValueLayout.JAVA_FLOAT), read(fake, mt), what + ": momentum");
                    }
                }
            }
        }
    }

    /**
     * The graph on the CUDA backend: the same network (same seed), batch and gRDA settings
     * train alike on the fake stack and on the CPU, step by step, including a smaller
     * last batch (planned ahead) and an evaluation step. Catches wiring between the graph
     * and the CUDA ops (views, offsets, workspaces, plans per batch size) without a GPU.
     */
    @Test
    void networksTrainAlikeOnTheCudaBindingsAndTheCpu() {
        for (String model : List.of("lenet5", "resnet20")) {
            int[] in = model.equals("lenet5") ? new int[]{1, 16, 16} : new int[]{3, 8, 8};
            int batch = 4, classes = 10;
            float[][] losses = new float[2][];
            float[][] weights = new float[2][];
            io.sparsestep.backend.Backend[] backends = {fake, cpu};
            for (int b = 0; b < 2; b++) {
                var be = backends[b];
                try (Arena arena = Arena.ofConfined();
                     var net = io.sparsestep.nn.Network.build(model, be, io.sparsestep.nn.Models.create(model, in, classes), in,
                             classes, batch, 3);
                     var grda = io.sparsestep.optim.Grda.builder().lr(0.05).c(0.05).mu(0.6).build(net.paramSpace())) {
                    net.prepareBatchSizes(batch - 1);
                    java.util.Random rng = new java.util.Random(17);
                    MemorySegment x = arena.allocate(4L * batch * in[0] * in[1] * in[2], 64), y = arena.allocate(4L * batch, 64);
                    for (long i = 0; i < x.byteSize() / 4; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
                    for (int i = 0; i < batch; i++) y.setAtIndex(ValueLayout.JAVA_FLOAT, i, rng.nextInt(classes));
                    losses[b] = new float[5];
                    float[] r = new float[2];
                    for (int step = 0; step < 4; step++) {
                        int n = step == 3 ? batch - 1 : batch;
                        be.upload(x, net.input(n));
                        be.upload(y, net.labels(n));
                        net.trainStep(n);
                        grda.step(1.0);
                        losses[b][step] = net.readLossAndCorrect(r)[0];
                    }
                    net.evalStep(batch);
                    losses[b][4] = net.readLossAndCorrect(r)[0];
                    weights[b] = net.downloadAll(net.memory().params(), arena).toArray(ValueLayout.JAVA_FLOAT);
                }
            }
            for (int i = 0; i < 5; i++) {
                assertEquals(losses[1][i], losses[0][i], 1e-3f * Math.max(1f, Math.abs(losses[1][i])), model + " loss " + i);
            }
            double maxDiff = 0;
            for (int i = 0; i < weights[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(weights[0][i] - weights[1][i]));
            assertTrue(maxDiff < 1e-3, model + ": weights differ by " + maxDiff);
        }
    }

    @Test
    void libraryDependenciesWereLoadedFirst() {
        // libcublas.so.13 needs libfakecublasLt.so.13 and libcudnn's cudnnCreate dlopens libfakecudnn_graph.so.9 by
        // soname; neither is on any loader path, so the backend opening at all proves they were preloaded.
        assertEquals(List.of("libcudnn_graph.so.9"), dnnLibs.subLibraries().stream().map(LoadedLibrary::soname).toList());
        assertEquals(9, dnnLibs.major());
    }

    @Test
    void aMissingDependencyIsExplainedByTheDynamicLoader() throws IOException, InterruptedException {
        Path sources = FakeCudaStack.sources();
        Path isolated = Files.createDirectories(dir.resolve("isolated"));
        // A copy of the fake cuBLAS whose dependency has a soname nothing in this JVM has loaded.
        run(List.of("gcc", "-O1", "-fPIC", "-shared", "-Wl,-soname,libfakeneverloaded.so.1", "-o", isolated.resolve("libneverloaded.so.1").toString(),
                sources.resolve("fake_cublaslt.c").toString()));
        run(List.of("gcc", "-O1", "-fPIC", "-shared", "-Wl,-soname,libfakeorphan2.so.1", "-o", isolated.resolve("liborphan2.so").toString(),
                sources.resolve("fake_cublas.c").toString(), "-L" + isolated, "-l:libneverloaded.so.1"));

        Path orphan = isolated.resolve("liborphan2.so");
        assertThrows(IllegalArgumentException.class, () -> SymbolLookup.libraryLookup(orphan, Arena.global()));
        String why = DlError.explain(orphan).orElseThrow();
        assertTrue(why.contains("libfakeneverloaded.so.1"), why);
    }

    @Test
    void convolutionFallsBackWhenTheFastestAlgorithmRefusesMisalignedPointers() {
        ConvGeometry g = new ConvGeometry(2, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1);
        assertEquals(1024, fake.convWorkspaceWords(g), "the fake's fastest algorithm needs 4096 bytes");
        int refusalsBefore = intCall(dnnLibs.cudnn().lookup(), "fake_cudnn_refusals");
        try (Buffer b = fake.allocate(2000, "conv")) {
            Tensor x = new Tensor(b, 1, 2, 3, 6, 6), w = new Tensor(b, 300, 4, 3, 3, 3), y = new Tensor(b, 500, 2, 4, 6, 6);
            Tensor ws = new Tensor(b, 800, 1024);
            fake.elementwise().fill(x, 1f);
            fake.elementwise().fill(w, 0.5f);
            fake.convForward(g, x, w, y, ws);
            assertEquals(refusalsBefore + 1, intCall(dnnLibs.cudnn().lookup(), "fake_cudnn_refusals"), "algo 1 refused x at offset 1");
            fake.convForward(g, x, w, y, ws);
            assertEquals(refusalsBefore + 1, intCall(dnnLibs.cudnn().lookup(), "fake_cudnn_refusals"), "the refusal is remembered");
            // centre output: 3 channels * 9 taps * 1 * 0.5
            assertEquals(13.5f, read(fake, y)[2 * 6 + 2], 0f);
        }
    }

    @Test
    void findRunsOncePerGeometryAndPass() {
        ConvGeometry g = new ConvGeometry(1, 2, 5, 5, 2, 3, 3, 1, 1, 0, 0);
        int before = intCall(dnnLibs.cudnn().lookup(), "fake_cudnn_finds");
        fake.convWorkspaceWords(g);
        fake.convWorkspaceWords(g);
        assertEquals(before + 3, intCall(dnnLibs.cudnn().lookup(), "fake_cudnn_finds"));
    }

    @Test
    void tooSmallAWorkspaceStillRunsTheAlgorithmThatNeedsNone() {
        ConvGeometry g = new ConvGeometry(1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1);
        try (Buffer b = fake.allocate(64, "conv")) {
            Tensor x = new Tensor(b, 0, 1, 1, 4, 4), w = new Tensor(b, 16, 1, 1, 3, 3), y = new Tensor(b, 32, 1, 1, 4, 4);
            fake.elementwise().fill(x, 2f);
            fake.elementwise().fill(w, 1f);
            fake.convForward(g, x, w, y, null);
            float[] out = read(fake, y);
            assertEquals(8f, out[0], 0f, "corner: 4 of the 9 taps inside the padded input, each 2 * 1");
            assertEquals(18f, out[5], 0f, "interior: all 9 taps");
        }
    }

    @Test
    void launchesFollowTheGridRuleOfTheDevicesSmCount() {
        try (Buffer b = fake.allocate(1_000_000, "big")) {
            fake.elementwise().fill(new Tensor(b, 0, 1025), 1f);
            assertEquals(2, intCall(driverLib.lookup(), "fake_last_grid"));
            assertEquals(256, intCall(driverLib.lookup(), "fake_last_block"));
            fake.elementwise().fill(new Tensor(b, 0, 1_000_000), 1f);
            assertEquals(4 * 8, intCall(driverLib.lookup(), "fake_last_grid"), "the fake has 4 SMs: 8 blocks each");
        }
    }

    @Test
    void opsFromAnotherThreadMakeTheContextCurrentThere() throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Long> zeros = new AtomicReference<>();
        try (Buffer b = fake.allocate(100, "threads")) {
            Thread t = new Thread(() -> {
                try {
                    fake.elementwise().fill(new Tensor(b, 0, 100), 0f);
                    zeros.set(fake.elementwise().countZeros(new Tensor(b, 0, 100)));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            t.join();
            assertEquals(null, failure.get());
            assertEquals(100L, zeros.get());
            assertEquals(100L, fake.elementwise().countZeros(new Tensor(b, 0, 100)), "and back on this thread");
        }
    }

    /** Another backend or a framework switched this thread's context: the next op switches it back (same Java thread). */
    @Test
    void opsRestoreTheContextSomeoneElseChangedOnTheSameThread() {
        try (Buffer b = fake.allocate(100, "switched")) {
            driver.setCurrent(0);
            fake.elementwise().fill(new Tensor(b, 0, 100), 0f);
            driver.setCurrent(0);
            assertEquals(100L, fake.elementwise().countZeros(new Tensor(b, 0, 100)));
        }
    }

    /**
     * The raw-pointer API caches a module per context. Closing one of two backends on the
     * shared primary context keeps it (the other still launches from it); once the last
     * holder lets the context go, the entry is forgotten (the module died with the context).
     */
    @Test
    void theFusedStepModuleLivesAsLongAsThePrimaryContext() {
        fake.synchronize(); // makes the shared primary context current here
        long context = driver.currentContext();
        CudaFusedSteps.cache(context, LoadedKernels.load(driver, "optim"));
        try {
            CudaBackend second = CudaBackend.open(driver, 0, blasLibs, dnnLibs, LoadedKernels::readPtx);
            second.close();
            assertTrue(CudaFusedSteps.hasModuleFor(context), "the first backend still holds the context");

            driver.primaryContextRelease(0); // as if the first backend were gone too
            CudaBackend last = CudaBackend.open(driver, 0, blasLibs, dnnLibs, LoadedKernels::readPtx);
            last.close();
            assertFalse(CudaFusedSteps.hasModuleFor(context), "the context is gone, and its module with it");
        } finally {
            driver.primaryContextRetain(0); // give the class-wide backend its hold back
            driver.setCurrent(context);
            CudaFusedSteps.forgetDestroyedContext(context);
        }
    }

    @Test
    void buffersAreOneDeviceAllocationEachAndFreedOnClose() {
        long before = FakeCudaStack.longCall(driverLib.lookup(), "fake_live_allocations");
        long count = fake.allocationCount(), bytes = fake.bytesInUse();
        Buffer a = fake.allocate(10, "a"), b = fake.allocate(0, "empty");
        assertEquals(before + 2, FakeCudaStack.longCall(driverLib.lookup(), "fake_live_allocations"));
        assertEquals(count + 2, fake.allocationCount());
        assertEquals(bytes + 40, fake.bytesInUse());
        a.close();
        a.close();
        b.close();
        assertEquals(before, FakeCudaStack.longCall(driverLib.lookup(), "fake_live_allocations"));
        assertEquals(bytes, fake.bytesInUse());
        IllegalStateException closed = assertThrows(IllegalStateException.class, a::address);
        assertEquals("CUDA buffer 'a' was closed; views into it are no longer valid", closed.getMessage());
    }

    @Test
    void batchNormPassesMomentumAndEpsilonAsDoubles() {
        try (Buffer b = fake.allocate(44, "bn")) {
            fake.elementwise().fill(new Tensor(b, 0, 44), 1f);
            fake.batchNormForwardTraining(2, 2, 4, new Tensor(b, 0, 2, 2, 4), new Tensor(b, 16, 2, 2, 4), new Tensor(b, 32, 2),
                    new Tensor(b, 34, 2), new Tensor(b, 36, 2), new Tensor(b, 38, 2), new Tensor(b, 40, 2), new Tensor(b, 42, 2), 0.25f, 1e-3f);
            fake.synchronize();
        }
        assertEquals(0.25, doubleCall(dnnLibs.cudnn().lookup(), "fake_cudnn_last_factor"), 0);
        assertEquals(1e-3f, doubleCall(dnnLibs.cudnn().lookup(), "fake_cudnn_last_epsilon"), 0);
    }

    @Test
    void errorsAreDecodedFromEachLibrary() {
        driver.setCurrent(fake.context());
        CudaException jit = assertThrows(CudaException.class, () -> driver.moduleLoadPtx("FAIL_JIT".getBytes(StandardCharsets.UTF_8), "broken.ptx"));
        assertEquals("cuModuleLoadDataEx(broken.ptx) failed: CUDA_ERROR_INVALID_PTX (218): a PTX JIT compilation failed; "
                + "JIT log: ptxas fatal   : syntax error at line 3 [CUDA driver]", jit.getMessage());

        // the fake plays a CUDA 12 driver: PTX ISA 9.0 is too new for it, the committed 8.0 is not
        byte[] isa9 = "// x\n.version 9.0\n.target sm_75\n".getBytes(StandardCharsets.UTF_8);
        CudaException old = assertThrows(CudaException.class, () -> driver.moduleLoadPtx(isa9, "new.ptx"));
        assertTrue(old.getMessage().startsWith("cuModuleLoadDataEx(new.ptx) failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)")
                && old.getMessage().contains("CUDA 12.0 or newer (R525+): update the driver"), old.getMessage());

        CudaException oom = assertThrows(CudaException.class, () -> driver.memAlloc(1L << 50));
        assertEquals("cuMemAlloc_v2(1125899906842624 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory [CUDA driver]", oom.getMessage());

        assertEquals("CUDA_ERROR_NOT_SUPPORTED", driver.errorName(801), "the fake driver does not know 801: the table answers");

        CudaException dnn = assertThrows(CudaException.class, () -> fake.cudnn().tensor4d(0, 1, 1, 1));
        assertEquals("cudnnSetTensor4dDescriptor(0,1,1,1) failed: CUDNN_STATUS_BAD_PARAM (2000): CUDNN_STATUS_BAD_PARAM; "
                + "tensor dimensions must be positive [cuDNN]", dnn.getMessage());

        CudaException blas = assertThrows(CudaException.class, () -> fake.cublas().sgemmRowMajor(
                new GemmMapping(false, false, 4, 4, 4, 4, 4, 1), 1f, 256, 256, 0f, 256));
        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7): an invalid value was used as an argument [cuBLAS]",
                blas.getMessage());
    }

    @Test
    void describesTheDeviceAndLibraries() {
        assertEquals("Fake GPU (sm_90, 4 SMs, 80.0 GiB), driver CUDA 13.0, cuBLAS 13.1.0, cuDNN 9.22.0", fake.description());
        List<String> env = CudaDoctor.environment(fake);
        assertTrue(env.contains("CUDA version supported by the driver: 13.0"), env.toString());
        assertTrue(env.contains("GPU 0: Fake GPU, compute capability 9.0, 4 SMs, 80.0 GiB total, 70.0 GiB free"), env.toString());
        assertTrue(env.stream().anyMatch(l -> l.startsWith("cuDNN 9.22.0 (built for CUDA 13.0): libcudnn.so.9 (" + dir)), env.toString());
        assertTrue(env.stream().anyMatch(l -> l.startsWith("cuBLAS 13.1.0: libcublas.so.13 (" + dir)), env.toString());
    }

    @Test
    void viewsFromAnotherBackendAreRejectedWithTheFix() {
        try (Buffer onCpu = cpu.allocate(4, "host")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fake.elementwise().fill(new Tensor(onCpu, 0, 4), 1f));
            assertEquals("fill target host@0[4] lives on the cpu backend, not on this CUDA backend; upload it first", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Map<String, Long> hostKernelLaunches() {
        Map<String, Long> launches = new java.util.TreeMap<>();
        for (String k : FakeCudaStack.stringCall(driverLib.lookup(), "sparsestep_host_kernels").split(",")) {
            launches.put(k, FakeCudaStack.longCallWithString(driverLib.lookup(), "sparsestep_host_launches", k));
        }
        return launches;
    }

    private static MemorySegment randomFloats(Arena arena, int n, java.util.SplittableRandom rng) {
        MemorySegment m = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (2 * rng.nextDouble() - 1));
        return m;
    }

    private static float[] read(CudaBackend b, Tensor t) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * t.size());
            b.download(t, host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private static int intCall(SymbolLookup lib, String name) {
        try {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static double doubleCall(SymbolLookup lib, String name) {
        try {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE));
            return (double) h.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        NativeToolchain.run(cmd);
    }
}
