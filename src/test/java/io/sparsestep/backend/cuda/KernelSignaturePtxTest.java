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
