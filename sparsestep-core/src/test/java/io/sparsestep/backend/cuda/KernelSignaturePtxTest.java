package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.KernelArgs.Kind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java-side kernel signatures against the .entry declarations of the PTX resources:
 * the same kernels, the same number of parameters, the same widths (.u64 for pointers and
 * unsigned long long, .f32 for float, .u32/.s32 for int). Skipped when the PTX is not on
 * the classpath (a checkout before the kernels were built).
 */
class KernelSignaturePtxTest {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    @Test
    void signaturesMatchThePtxEntries() {
        // every kernels/*.cu and every module a signature names: a kernel file nobody binds fails too
        java.util.Set<String> modules = new java.util.TreeSet<>(List.of(KernelSignature.modules()));
        try (var files = java.nio.file.Files.list(io.sparsestep.testing.NativeToolchain.repository().resolve("kernels"))) {
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".cu")).forEach(f -> modules.add(f.substring(0, f.length() - 3)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (String module : modules) {
            assertNotNull(LoadedKernels.class.getResource(LoadedKernels.RESOURCE_DIR + module + ".ptx"),
                    "PTX resource " + module + ".ptx missing: run native-build/build.sh");
            Map<String, List<String>> entries = entries(new String(LoadedKernels.readPtx(module), StandardCharsets.UTF_8));
            List<String> declared = new ArrayList<>();
            for (KernelSignature s : KernelSignature.values()) {
                if (!s.module().equals(module)) continue;
                declared.add(s.kernel());
                List<String> ptxParams = entries.get(s.kernel());
                assertNotNull(ptxParams, module + ".ptx has no .entry " + s.kernel());
                List<String> expected = Arrays.stream(s.parameters()).map(KernelSignaturePtxTest::ptxType).toList();
                List<String> actual = ptxParams.stream().map(t -> t.equals("s32") || t.equals("b32") ? "u32" : t).toList();
                assertEquals(expected, actual, "parameters of " + s.kernel());
            }
            assertEquals(entries.keySet().stream().sorted().toList(), declared.stream().sorted().toList(),
                    "every kernel in " + module + ".ptx has a Java signature and vice versa");
        }
    }

    /**
     * Which op family each kernels/*.cu belongs to: a family per kernel file, a kernel file per
     * family. A new kernels/*.cu or a new family fails {@link #everyKernelModuleHasExactlyOneFamily}
     * until it is entered here.
     */
    private static final Map<String, Class<?>> FAMILY_OF_MODULE = Map.of(
            "elementwise", io.sparsestep.backend.ElementwiseOps.class,
            "loss", io.sparsestep.backend.LossOps.class,
            "vector", io.sparsestep.backend.VectorOps.class,
            "mask", io.sparsestep.backend.MaskOps.class,
            "select", io.sparsestep.backend.SelectOps.class,
            "optim", io.sparsestep.backend.StepOps.class,
            "group", io.sparsestep.backend.GroupOps.class);

    /** StepOps' kernels are launched through the raw-pointer API its CUDA file ends in. */
    private static final Map<String, Class<?>> FAMILY_HELPERS = Map.of("CudaFusedSteps", io.sparsestep.backend.StepOps.class);

    /**
     * Every kernel module (kernels/*.cu, and every module a signature names) maps to exactly
     * one op family of {@code Backend}, every family to exactly one module, and a kernel is
     * launched only from its family's CUDA file ({@code Cuda<Family>.java}, or a helper of
     * it): no kernel of ours behind a core op of {@code CudaBackend}.
     */
    @Test
    void everyKernelModuleHasExactlyOneFamily() throws java.io.IOException {
        java.nio.file.Path repo = io.sparsestep.testing.NativeToolchain.repository();
        java.util.Set<String> modules = new java.util.TreeSet<>(List.of(KernelSignature.modules()));
        try (var files = java.nio.file.Files.list(repo.resolve("kernels"))) {
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".cu")).forEach(f -> modules.add(f.substring(0, f.length() - 3)));
        }
        assertEquals(modules, new java.util.TreeSet<>(FAMILY_OF_MODULE.keySet()), "every kernels/*.cu has a family entry and vice versa");
        java.util.Set<Class<?>> families = new java.util.HashSet<>();
        for (java.lang.reflect.Method m : io.sparsestep.backend.Backend.class.getMethods()) {
            if (m.getParameterCount() == 0 && io.sparsestep.backend.OpFamily.class.isAssignableFrom(m.getReturnType())) {
                families.add(m.getReturnType());
            }
        }
        assertEquals(families, new java.util.HashSet<>(FAMILY_OF_MODULE.values()), "the families of Backend's accessors, one kernel module each");
        assertEquals(FAMILY_OF_MODULE.size(), families.size(), "no two kernel modules share a family");

        Pattern constant = Pattern.compile("KernelSignature\\.([A-Z][A-Z0-9_]*)\\b");
        java.nio.file.Path sources = repo.resolve("sparsestep-core/src/main/java/io/sparsestep/backend/cuda");
        try (var files = java.nio.file.Files.list(sources)) {
            for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String file = f.getFileName().toString().replace(".java", "");
                if (file.equals("KernelSignature")) continue;
                Matcher m = constant.matcher(java.nio.file.Files.readString(f));
                while (m.find()) {
                    String module = KernelSignature.valueOf(m.group(1)).module();
                    Class<?> family = FAMILY_OF_MODULE.get(module);
                    boolean own = file.equals("Cuda" + family.getSimpleName()) || family.equals(FAMILY_HELPERS.get(file));
                    assertTrue(own, file + ".java launches " + m.group(1) + " of kernels/" + module + ".cu, which belongs to "
                            + family.getSimpleName() + ": launch it from Cuda" + family.getSimpleName() + ".java");
                }
            }
        }
    }

    @Test
    void parserReadsEntryParameters() {
        String ptx = ".visible .entry f(\n\t.param .u64 f_param_0,\n\t.param .f32 f_param_1,\n\t.param .u32 f_param_2\n)\n{ ret; }";
        assertEquals(Map.of("f", List.of("u64", "f32", "u32")), entries(ptx));
    }

    private static String ptxType(Kind k) {
        return switch (k) {
            case POINTER, U64 -> "u64";
            case F32 -> "f32";
            case I32 -> "u32";
        };
    }

    private static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> params = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) params.add(p.group(1));
            out.put(m.group(1), params);
        }
        assertTrue(out.size() <= 64);
        return out;
    }
}
