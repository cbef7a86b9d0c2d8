package io.sparsestep.cli;

import io.sparsestep.train.io.RunSummary;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.io.SummaryJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The product's promise, checked on its real recipe: `sparsestep demo` (defaults, CPU)
 * ends with gRDA at >= 90% sparsity and, as the README says, within a tenth of a point of
 * SGD's test accuracy (measured: gRDA 0.9967 at 96.15% sparsity, SGD 0.9972, so 0.05
 * points apart, on the 2-core development machine). About a minute on two cores.
 */
class DemoRecipeTest {
    @Test
    void defaultDemoPrunesNinetyPercentAtSgdAccuracy(@TempDir Path dir) throws Exception {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.execute("demo", "--device", "cpu", "--no-progress", "--out", dir.toString());
        } finally {
            System.setOut(oldOut);
        }
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        List<RunSummary> runs = SummaryJson.read(dir.resolve("summary.json"));
        assertEquals(2, runs.size());
        RunSummary grda = runs.get(0), sgd = runs.get(1);
        assertEquals("grda", grda.optimizer());
        assertEquals("sgd", sgd.optimizer());
        assertEquals(grda.params(), sgd.params());
        assertTrue(grda.sparsity() >= 0.90, "gRDA sparsity " + grda.sparsity());
        // a tenth of a percentage point; the small slack only absorbs the binary rounding of the two fractions
        assertTrue(sgd.testAccuracy() - grda.testAccuracy() <= 0.001 + 1e-9,
                "README: gRDA within a tenth of a point of SGD; gRDA " + grda.testAccuracy() + " vs SGD " + sgd.testAccuracy());
        assertTrue(sgd.testAccuracy() > 0.95, "the SGD baseline itself learned: " + sgd.testAccuracy());
        for (String f : List.of("chart.png", "grda/metrics.csv", "grda/weights.safetensors", "sgd/summary.json")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("gRDA - SGD test accuracy"), "side-by-side table printed");

        // the reported sparsity is what the saved weights hold: count exact zeros in the file
        try (Arena arena = Arena.ofConfined()) {
            long zeros = 0, total = 0;
            for (var e : Safetensors.read(dir.resolve("grda/weights.safetensors"), arena).entrySet()) {
                if (!e.getKey().endsWith(".weight")) continue;
                MemorySegment data = e.getValue().data();
                for (long i = 0; i < data.byteSize() / 4; i++) {
                    if (data.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i) == 0f) zeros++;
                    total++;
                }
            }
            assertEquals(266200, total, "LeNet-300-100 conv/linear weights");
            assertEquals(grda.sparsity(), (double) zeros / total, 1e-12);
        }
    }
}
