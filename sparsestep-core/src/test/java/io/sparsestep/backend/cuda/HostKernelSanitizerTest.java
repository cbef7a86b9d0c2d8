package io.sparsestep.backend.cuda;

import io.sparsestep.testing.NativeToolchain;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel of kernels/*.cu, compiled for the host through the CUDA shim under
 * AddressSanitizer and UBSan, against the plain references of
 * native-build/emulate/kernel_logic_check.cpp: every float4 alignment combination of up to
 * three pointers, lengths around the float4 boundaries, grids small enough that
 * grid-stride loops go round, several block sizes, and the shim's own refusals (a
 * misaligned float4, a barrier or shuffle not every thread reaches). A read or write past
 * a view fails here with ASan's report even where the conformance checks' guard words
 * would not see it.
 */
class HostKernelSanitizerTest {
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) checks, (\\d+) failures");

    @Test
    void everyKernelMatchesItsReferenceUnderAddressSanitizer() throws IOException, InterruptedException {
        NativeToolchain.require("g++");
        Path dir = Files.createTempDirectory("host-kernels-asan");
        try {
            Path build = NativeToolchain.repository().resolve("native-build/emulate/build.sh");
            NativeToolchain.run(List.of("bash", build.toString(), "check", dir.toString()));
            Process p = new ProcessBuilder(dir.resolve("kernel_logic_check").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            Matcher m = SUMMARY.matcher(out);
            assertTrue(m.find(), "no summary line (a sanitizer stopped the run?):\n" + out);
            assertEquals(0, rc, out);
            assertEquals("0", m.group(2), out);
            assertTrue(Long.parseLong(m.group(1)) > 10_000, "suspiciously few checks: " + out);
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }
}
