package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The driver bindings against NVIDIA's own declarations: every function {@link CudaDriver}
 * binds is looked up in the CUDA toolkit's {@code cuda.h} (present wherever nvcc is, CI
 * included) and its parameters compared one by one with the binding's Java signature, in
 * the terms the x86-64 calling convention cares about: how many, 4-byte integer (int,
 * unsigned, enums, CUdevice), 8-byte word (pointers, size_t, CUdeviceptr, CUstream and the
 * other handle typedefs) or float. An argument dropped, added or given the wrong width
 * fails here, independently of the fake CUDA stack (written by us, so it could share our
 * misreading). The header names each function by its macro (cuMemAlloc), which the header
 * maps to the versioned symbol (cuMemAlloc_v2) that the binding loads; CudaDriver's fields
 * carry the macro names. Also checks the numeric constants CudaDriver passes.
 */
class CudaDriverHeaderTest {

    private enum Kind { INT4, WORD8, FLOAT4, DOUBLE8 }

    @Test
    void everyBoundDriverFunctionMatchesItsPrototypeInCudaH() throws Exception {
        String header = readHeader();
        Map<String, String> typedefs = typedefs(header);
        CudaDriver driver = new CudaDriver(name -> Optional.of(MemorySegment.ofAddress(4096)));

        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (Field f : CudaDriver.class.getDeclaredFields()) {
            if (f.getType() != MethodHandle.class || Modifier.isStatic(f.getModifiers())) continue;
            f.setAccessible(true);
            MethodType ours = ((MethodHandle) f.get(driver)).type();
            String name = f.getName();
            List<String> params = prototype(header, name);
            if (params == null) {
                mismatches.add(name + ": no prototype 'CUresult CUDAAPI " + name + "(' in cuda.h");
                continue;
            }
            assertEquals(int.class, ours.returnType(), name + " returns CUresult");
            List<Kind> theirs = params.stream().map(p -> kindOf(p, typedefs)).toList();
            List<Kind> mine = ours.parameterList().stream().map(CudaDriverHeaderTest::kindOf).toList();
            if (!theirs.equals(mine)) mismatches.add(name + ": cuda.h " + params + " = " + theirs + ", binding " + mine);
            checked++;
        }
        assertTrue(checked >= 30, "only " + checked + " driver functions found in CudaDriver");
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @Test
    void theVersionedSymbolsWeLoadAreTheOnesCudaHMapsTo() throws IOException {
        String header = readHeader();
        // the symbol CudaDriver binds -> the macro name programs use
        for (String versioned : List.of("cuMemAlloc_v2", "cuMemFree_v2", "cuMemGetInfo_v2", "cuDeviceTotalMem_v2",
                "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyDtoDAsync_v2", "cuDevicePrimaryCtxRelease_v2",
                "cuEventDestroy_v2", "cuStreamDestroy_v2", "cuEventElapsedTime_v2")) {
            String macro = versioned.substring(0, versioned.length() - 3);
            Matcher m = Pattern.compile("#define\\s+" + macro + "\\s+(?:__CUDA_API_PTSZ\\()?(\\w+)").matcher(header);
            assertTrue(m.find(), "cuda.h does not #define " + macro);
            assertEquals(versioned, m.group(1), "cuda.h maps " + macro);
        }
    }

    @Test
    void theConstantsWePassHaveCudaHsValues() throws IOException {
        String header = readHeader();
        Map<String, Integer> ours = Map.of(
                "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR", CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR", CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                "CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT", CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        Map<String, Integer> all = new HashMap<>(ours);
        all.putAll(Map.of(
                "CU_JIT_INFO_LOG_BUFFER", CudaDriver.CU_JIT_INFO_LOG_BUFFER,
                "CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES", CudaDriver.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                "CU_JIT_ERROR_LOG_BUFFER", CudaDriver.CU_JIT_ERROR_LOG_BUFFER,
                "CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES", CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", CudaDriver.CUDA_ERROR_UNSUPPORTED_PTX_VERSION));
        for (Map.Entry<String, Integer> e : all.entrySet()) {
            Matcher m = Pattern.compile("\\b" + e.getKey() + "\\s*=\\s*(0x[0-9a-fA-F]+|\\d+)").matcher(header);
            assertTrue(m.find(), "cuda.h has no enumerator " + e.getKey());
            assertEquals(Integer.decode(m.group(1)), e.getValue(), e.getKey());
        }
    }

    // ------------------------------------------------------------------ header parsing

    private static String readHeader() throws IOException {
        List<Path> candidates = new ArrayList<>();
        for (String env : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = System.getenv(env);
            if (v != null) candidates.add(Path.of(v, "include", "cuda.h"));
        }
        candidates.add(Path.of("/usr/local/cuda/include/cuda.h"));
        Path found = candidates.stream().filter(Files::isReadable).findFirst().orElse(null);
        assumeTrue(found != null, "no CUDA toolkit header cuda.h (looked in " + candidates + ")");
        String text = Files.readString(found);
        // Drop comments; keep only the current API (the legacy block at the end redeclares old signatures).
        text = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
        int legacy = text.indexOf("#if defined(__CUDA_API_VERSION_INTERNAL)", text.length() / 2);
        return legacy > 0 ? text.substring(0, legacy) : text;
    }

    /** The parameter declarations of {@code name}'s first prototype, or null. */
    private static List<String> prototype(String header, String name) {
        Matcher m = Pattern.compile("CUresult\\s+CUDAAPI\\s+" + name + "\\s*\\(([^)]*)\\)").matcher(header);
        if (!m.find()) return null;
        String body = m.group(1).replaceAll("\\s+", " ").strip();
        if (body.isEmpty() || body.equals("void")) return List.of();
        return Stream.of(body.split(",")).map(String::strip).toList();
    }

    /** typedef name -> what it stands for ("*" for pointer typedefs, "enum" for enums, else the aliased type). */
    private static Map<String, String> typedefs(String header) {
        Map<String, String> map = new HashMap<>();
        Matcher pointer = Pattern.compile("typedef\\s+struct\\s+\\w+\\s*\\*\\s*(\\w+)\\s*;").matcher(header);
        while (pointer.find()) map.put(pointer.group(1), "*");
        Matcher enums = Pattern.compile("typedef\\s+enum\\s+\\w*\\s*\\{[^}]*\\}\\s*(\\w+)\\s*;").matcher(header);
        while (enums.find()) map.put(enums.group(1), "enum");
        Matcher plain = Pattern.compile("typedef\\s+((?:unsigned\\s+|signed\\s+)?(?:long\\s+long|long|int|short|char|\\w+))\\s+(\\w+)\\s*;").matcher(header);
        while (plain.find()) map.putIfAbsent(plain.group(2), plain.group(1).replaceAll("\\s+", " "));
        return map;
    }

    private static Kind kindOf(String declaration, Map<String, String> typedefs) {
        if (declaration.contains("*")) return Kind.WORD8;
        List<String> words = new ArrayList<>(List.of(declaration.replace("const ", "").split(" ")));
        words.removeLast(); // the parameter's name
        return resolve(String.join(" ", words), typedefs, 0);
    }

    private static Kind resolve(String type, Map<String, String> typedefs, int depth) {
        switch (type) {
            case "int", "unsigned int", "unsigned" -> { return Kind.INT4; }
            case "size_t", "unsigned long long", "long long", "unsigned long", "long" -> { return Kind.WORD8; }
            case "float" -> { return Kind.FLOAT4; }
            case "double" -> { return Kind.DOUBLE8; }
            default -> {
                String next = typedefs.get(type);
                if (next == null || depth > 8) throw new AssertionError("cannot resolve C type '" + type + "' from cuda.h");
                if (next.equals("*")) return Kind.WORD8;
                if (next.equals("enum")) return Kind.INT4;
                return resolve(next, typedefs, depth + 1);
            }
        }
    }

    private static Kind kindOf(Class<?> javaType) {
        if (javaType == int.class) return Kind.INT4;
        if (javaType == long.class || javaType == MemorySegment.class) return Kind.WORD8;
        if (javaType == float.class) return Kind.FLOAT4;
        if (javaType == double.class) return Kind.DOUBLE8;
        throw new AssertionError("unexpected Java carrier " + javaType);
    }
}
