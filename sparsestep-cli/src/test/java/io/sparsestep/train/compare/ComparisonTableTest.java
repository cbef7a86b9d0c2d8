package io.sparsestep.train.compare;

import io.sparsestep.optim.Methods;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.SparsityReport;
import io.sparsestep.train.masks.RunMask;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table's cells from a run's summary and mask, a failed method's row, and the escaping of markdown and HTML. */
class ComparisonTableTest {
    @Test
    void aFinishedRunsRowSaysWhatItsFiguresCount() {
        // 1,000 conv/linear weights, 60 kept by the mask; 1,010 parameters in all
        MethodOutcome gsm = finished("gsm", mask(SparsityReport.Source.MASK, 1000, 60), summary(0.98765, 1010, 12.34, 3 * 1024 * 1024 + 512 * 1024,
                Map.of()));
        List<String> cells = ComparisonTable.rows(List.of(gsm)).getFirst().cells();
        assertEquals(List.of("GSM", "0.9877", "0.9400 of 1,000 conv/linear weights (mask)", "70 of 1,010", "-", "12.3 s", "3.5 MiB", ""), cells);

        MethodOutcome grda = finished("grda", mask(SparsityReport.Source.EXACT_ZEROS, 1000, 1000), summary(0.5, 1010, 1, 0, Map.of()));
        assertEquals("0.0000 of 1,000 conv/linear weights (exact zeros)", ComparisonTable.rows(List.of(grda)).getFirst().cells().get(2));
    }

    @Test
    void flopsAreShownWhereARunReportsThem() {
        assertEquals("-", ComparisonTable.flops(Map.of()));
        assertEquals("-", ComparisonTable.flops(Map.of("flops", "many")));
        assertEquals("25,000 of 100,000 (25.0%)", ComparisonTable.flops(Map.of("flops", Map.of("dense", 100_000, "remaining", 25_000))));
    }

    @Test
    void aFailedMethodHasItsReasonAndNoFigures() {
        MethodOutcome failed = MethodOutcome.failed(config("magnitude"), "one-shot magnitude",
                new IllegalArgumentException("--prune-epoch 5 leaves no epoch | to fine-tune\nsecond line"));
        assertEquals("--prune-epoch 5 leaves no epoch | to fine-tune", failed.failure(), "the first line only");
        ComparisonTable.Row row = ComparisonTable.rows(List.of(failed)).getFirst();
        assertEquals(List.of("one-shot magnitude", "-", "-", "-", "-", "-", "-", failed.failure()), row.cells());
        assertTrue(row.failed());
        String md = ComparisonTable.markdown(List.of(row));
        assertTrue(md.endsWith("| one-shot magnitude | - | - | - | - | - | - | --prune-epoch 5 leaves no epoch \\| to fine-tune |\n"), md);
        assertEquals(ComparisonTable.HEADER.size() + 1, md.lines().toList().getLast().replace("\\|", "").chars().filter(c -> c == '|').count(),
                "one cell per column");
        assertEquals("NullPointerException", MethodOutcome.failed(config("sgd"), "SGD", new NullPointerException()).failure());
    }

    @Test
    void htmlCellsAreEscaped() {
        MethodOutcome failed = MethodOutcome.failed(config("sgd"), "SGD", new IllegalArgumentException("<script>alert('x')</script> & more"));
        String html = ComparisonTable.html(ComparisonTable.rows(List.of(failed)));
        assertTrue(html.contains("<tr class=\"failed\"><td>SGD</td><td colspan=\"7\">failed: "), html);
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"), html);
        assertTrue(!html.contains("<script>"), html);
    }

    @Test
    void anOutcomeIsEitherFinishedOrFailed() {
        assertThrows(IllegalArgumentException.class, () -> new MethodOutcome(config("sgd"), "SGD", MethodOutcome.Status.FAILED,
                summary(0.5, 10, 1, 0, Map.of()), null, "x", null));
    }

    static MethodOutcome finished(String method, RunMask mask, RunSummary summary) {
        return MethodOutcome.finished(config(method), Methods.find(method).label(), MethodOutcome.Status.TRAINED, summary, mask);
    }

    static RunConfig config(String method) {
        return new RunConfig("lenet300", "synth-digits", null, Methods.parse(method, Map.of()), 2, 50, "constant", new int[0], 0.1, 1, "cpu",
                Path.of("runs", method), 300, 100, false, null, 1, null, null);
    }

    /** One layer of {@code size} weights, the first {@code kept} kept. */
    static RunMask mask(SparsityReport.Source source, int size, int kept) {
        BitSet bits = new BitSet();
        bits.set(0, kept);
        return new RunMask("run", Path.of("run.safetensors"), source, Map.of("fc.weight", List.of(1, size)),
                List.of(new LayerMask("fc.weight", new int[]{1, size}, bits)));
    }

    static RunSummary summary(double accuracy, long params, double seconds, long peak, Map<String, Object> hyper) {
        return new RunSummary("gsm", "lenet300", "synth-digits", "cpu", 2, accuracy, 0.5, params, seconds, peak, 0, hyper, 0.1, 0.2, 300, 100,
                Map.of("fc", 0.5), "2026-12-01T10:00:00Z", "sparsestep compare", "0.1.0");
    }
}
