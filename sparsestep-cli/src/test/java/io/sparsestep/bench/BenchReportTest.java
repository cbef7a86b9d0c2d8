package io.sparsestep.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The report's arithmetic on a synthetic result set whose answers were worked out by hand
 * (bandwidth = bytes/param x params / time; fraction = that / the copy's at the same size).
 */
class BenchReportTest {
    private static final double EPS = 1e-12;

    private static Measurement opt(String device, long size, String kind, double ms) {
        return new Measurement("optimizer-step", device, Map.of("size", Long.toString(size), "kind", kind), ms, ms, null, 5);
    }

    private static Measurement train(String model, int batch, String optimizer, double ms) {
        return new Measurement("train-step", "cpu", Map.of("model", model, "batch", Integer.toString(batch), "optimizer", optimizer), ms, ms, ms / 100, 3);
    }

    private static MemoryRecord optMem(long size, String kind, long state, long peak) {
        return new MemoryRecord("optimizer-step", "cpu", Map.of("size", Long.toString(size), "kind", kind), size, state, peak, 0);
    }

    private static MemoryRecord trainMem(String model, int batch, String optimizer, long params, long state, long peak) {
        return new MemoryRecord("train-step", "cpu", Map.of("model", model, "batch", Integer.toString(batch), "optimizer", optimizer),
                params, state, peak, 0);
    }

    private static final List<Measurement> CPU = List.of(
            // 1,000,000 parameters: copy 8 MB in 1 ms = 8 GB/s
            opt("cpu", 1_000_000, "copy", 1.0),
            opt("cpu", 1_000_000, "grda", 2.5),          // 16 MB / 2.5 ms = 6.4 GB/s = 0.8 of copy
            opt("cpu", 1_000_000, "sgd", 2.0),           // 12 MB / 2 ms   = 6 GB/s   = 0.75
            opt("cpu", 1_000_000, "sgd-momentum", 2.5),  // 20 MB / 2.5 ms = 8 GB/s   = 1.0
            // 2,000,000 parameters: copy 16 MB in 2.5 ms = 6.4 GB/s
            opt("cpu", 2_000_000, "copy", 2.5),
            opt("cpu", 2_000_000, "grda", 6.4),          // 32 MB / 6.4 ms = 5 GB/s = 0.78125 of copy
            opt("cpu", 2_000_000, "sgd-momentum", 6.0),  // gRDA / SGD-m = 6.4 / 6 = 16/15
            opt("cpu", 2_000_000, "masked-sgd-step", 7.5), // 42 MB / 7.5 ms = 5.6 GB/s = 0.875 of copy; 1.25 x SGD-m
            opt("cpu", 2_000_000, "gsm-step", 9.0),      // 40 MB / 9 ms = 4.444 GB/s; 1.5 x SGD-m
            train("lenet300", 128, "grda", 10.2),
            train("lenet300", 128, "sgd-momentum", 10.0),
            train("vgg16", 16, "grda", 104.0),
            train("vgg16", 16, "sgd-momentum", 100.0));

    private static final List<MemoryRecord> MEMORY = List.of(
            optMem(1_000_000, "grda", 4_000_000, 12_000_128),
            optMem(1_000_000, "sgd", 0, 8_000_128),
            optMem(1_000_000, "sgd-momentum", 4_000_000, 12_000_128),
            trainMem("lenet300", 128, "grda", 266_610, 1_066_440, 3_000_000),
            trainMem("lenet300", 128, "sgd-momentum", 266_610, 1_066_440, 3_000_000));

    private static BenchReport.OptimizerRow row(List<BenchReport.OptimizerRow> rows, long size, String kind) {
        return rows.stream().filter(r -> r.size() == size && r.kind().equals(kind)).findFirst().orElseThrow();
    }

    @Test
    void bandwidthFractionsAndRatiosFromHandWorkedNumbers() {
        List<BenchReport.OptimizerRow> rows = new BenchReport(CPU, MEMORY, null).optimizerRows();
        assertEquals(9, rows.size());

        BenchReport.OptimizerRow copy = row(rows, 1_000_000, "copy");
        assertEquals(8, copy.bytesPerParam());
        assertEquals(8.0, copy.gbPerSecond(), EPS);
        assertEquals(1.0, copy.fractionOfCopy(), EPS);
        assertNull(copy.timeVsSgdMomentum(), "the copy is not an optimizer");

        BenchReport.OptimizerRow grda = row(rows, 1_000_000, "grda");
        assertEquals(16, grda.bytesPerParam());
        assertEquals(6.4, grda.gbPerSecond(), EPS);
        assertEquals(0.8, grda.fractionOfCopy(), EPS);
        assertEquals(1.0, grda.timeVsSgdMomentum(), EPS);
        assertEquals(4_000_000L, grda.stateBytes());
        assertEquals(12_000_128L, grda.peakBytes());

        BenchReport.OptimizerRow sgd = row(rows, 1_000_000, "sgd");
        assertEquals(12, sgd.bytesPerParam());
        assertEquals(6.0, sgd.gbPerSecond(), EPS);
        assertEquals(0.75, sgd.fractionOfCopy(), EPS);
        assertEquals(0.8, sgd.timeVsSgdMomentum(), EPS);
        assertEquals(0L, sgd.stateBytes());

        BenchReport.OptimizerRow sgdm = row(rows, 1_000_000, "sgd-momentum");
        assertEquals(20, sgdm.bytesPerParam());
        assertEquals(1.0, sgdm.fractionOfCopy(), EPS);

        BenchReport.OptimizerRow big = row(rows, 2_000_000, "grda");
        assertEquals(5.0, big.gbPerSecond(), EPS);
        assertEquals(0.78125, big.fractionOfCopy(), EPS);
        assertEquals(16.0 / 15.0, big.timeVsSgdMomentum(), EPS);
        assertNull(big.stateBytes(), "no memory record for this size: missing, not zero");

        BenchReport.OptimizerRow masked = row(rows, 2_000_000, "masked-sgd-step");
        assertEquals(21, masked.bytesPerParam());
        assertEquals(1, masked.passes());
        assertEquals(5.6, masked.gbPerSecond(), EPS);
        assertEquals(0.875, masked.fractionOfCopy(), EPS);
        assertEquals(1.25, masked.timeVsSgdMomentum(), EPS);
        assertEquals(1.5, row(rows, 2_000_000, "gsm-step").timeVsSgdMomentum(), EPS);

        // rows come out by size, then copy, the methods (grda, sgd, sgd-momentum), then the op-level kinds
        assertEquals(List.of("copy", "grda", "sgd", "sgd-momentum", "copy", "grda", "sgd-momentum", "gsm-step", "masked-sgd-step"),
                rows.stream().map(BenchReport.OptimizerRow::kind).toList());
    }

    @Test
    void trainingRowsPairGrdaWithSgdMomentum() {
        List<BenchReport.TrainRow> rows = new BenchReport(CPU, MEMORY, null).trainRows();
        assertEquals(2, rows.size());
        BenchReport.TrainRow lenet = rows.get(0);
        assertEquals("lenet300", lenet.model());
        assertEquals(128, lenet.batch());
        assertEquals(1.02, lenet.grdaOverSgdMomentum(), EPS);
        assertEquals(266_610L, lenet.parameters());
        assertEquals(1_066_440L, lenet.grdaStateBytes());
        assertEquals(lenet.grdaStateBytes(), lenet.sgdMomentumStateBytes());
        BenchReport.TrainRow vgg = rows.get(1);
        assertEquals(16, vgg.batch());
        assertEquals(1.04, vgg.grdaOverSgdMomentum(), EPS);
        assertNull(vgg.parameters());
    }

    @Test
    void targetsJudgeTheWorstCaseAgainstTheIssuesBounds() {
        List<BenchReport.Target> t = new BenchReport(CPU, MEMORY, null).targets();
        assertEquals(4, t.size(), "CPU only: copy fraction, step ratio, training overhead, state memory");

        BenchReport.Target bandwidth = t.get(0);
        assertEquals(0.78125, bandwidth.measured(), EPS, "judged at the largest size");
        assertTrue(bandwidth.met());

        BenchReport.Target ratio = t.get(1);
        assertEquals(16.0 / 15.0, ratio.measured(), EPS);
        assertFalse(ratio.met());
        assertTrue(ratio.detail().contains("2,000,000"), ratio.detail());

        BenchReport.Target overhead = t.get(2);
        assertEquals(0.04, overhead.measured(), 1e-9);
        assertFalse(overhead.met());
        assertTrue(overhead.detail().contains("vgg16"), overhead.detail());

        BenchReport.Target state = t.get(3);
        assertEquals(1.0, state.measured(), EPS);
        assertTrue(state.met());
    }

    @Test
    void sdprunIsJudgedAgainstGrdaFrom16MOnWhereMeasured() {
        long m16 = 16L << 20, m64 = 64L << 20;
        List<Measurement> gpu = List.of(opt("cuda", 1_000_000, "grda", 0.01), opt("cuda", 1_000_000, "sdprun", 0.05),
                opt("cuda", m16, "grda", 0.1), opt("cuda", m16, "sdprun", 0.12), opt("cuda", m64, "grda", 0.4), opt("cuda", m64, "sdprun", 0.56));
        BenchReport.Target t = new BenchReport(gpu, List.of(), null).targets().stream().filter(x -> x.name().startsWith("sDprun"))
                .findFirst().orElseThrow();
        assertEquals(1.4, t.measured(), EPS, "the worst size from 16M on; 1M (5x) is below the bound's range");
        assertFalse(t.met());
        assertTrue(t.detail().contains("64M"), t.detail());
        assertTrue(new BenchReport(CPU, MEMORY, null).targets().stream().noneMatch(x -> x.name().startsWith("sDprun")), "not measured: no target");
    }

    @Test
    void unequalOptimizerStateIsReportedAsMissed() {
        List<MemoryRecord> mem = List.of(optMem(1_000_000, "grda", 8_000_000, 0), optMem(1_000_000, "sgd-momentum", 4_000_000, 0));
        BenchReport.Target state = new BenchReport(CPU, mem, null).targets().get(3);
        assertEquals(2.0, state.measured(), EPS);
        assertFalse(state.met());
        assertTrue(state.detail().contains("1,000,000"), state.detail());
    }

    @Test
    void pytorchSideBySideRatiosAndUnmeasuredGpuTargets() {
        long resnet = 25_557_032L;
        List<Measurement> gpu = List.of(opt("cuda", resnet, "grda", 0.2), opt("cuda", resnet, "copy", 0.16));
        PytorchResults torch = new PytorchResults("H200", "2.5", List.of(
                new PytorchResults.Row("resnet50", resnet, 161, "copy", 0.1),
                new PytorchResults.Row("resnet50", resnet, 161, "grda_loop", 20.0),
                new PytorchResults.Row("resnet50", resnet, 161, "sgd_momentum_fused", 0.25),
                new PytorchResults.Row("resnet50", resnet, 161, "sgd_momentum_foreach", 0.4)));
        BenchReport report = new BenchReport(gpu, List.of(), torch);

        BenchReport.PytorchRow r = report.pytorchRows().getFirst();
        assertEquals(0.2, r.javaGrdaMs(), EPS);
        assertEquals(0.16, r.javaCopyMs(), EPS);
        assertEquals(0.8, r.javaGrdaOverTorchFusedSgdMomentum(), EPS);
        assertEquals(100.0, r.torchGrdaLoopOverJavaGrda(), 1e-9);

        List<BenchReport.Target> t = report.targets();
        BenchReport.Target gpuBandwidth = t.stream().filter(x -> x.name().contains("copy bandwidth")).findFirst().orElseThrow();
        assertNull(gpuBandwidth.met(), "no size >= 64M measured: not measured, not failed");
        BenchReport.Target vsFused = t.stream().filter(x -> x.name().contains("fused")).findFirst().orElseThrow();
        assertTrue(vsFused.met());
        BenchReport.Target vsLoop = t.stream().filter(x -> x.name().contains("per-tensor")).findFirst().orElseThrow();
        assertEquals(100.0, vsLoop.measured(), 1e-9);
        assertTrue(vsLoop.met());
    }

    @Test
    void topkSideBySideWithTheJavaSelectOnTheSameFlatVector() {
        long n = 16L << 20;
        List<Measurement> gpu = List.of(opt("cuda", n, "select", 0.12), opt("cuda", n, "copy", 0.03));
        PytorchResults torch = new PytorchResults("H200", "2.5", List.of(new PytorchResults.Row("flat-16M", n, 1, "copy", 0.03),
                new PytorchResults.Row("flat-16M", n, 1, "topk", 1.8)));
        BenchReport report = new BenchReport(gpu, List.of(), torch);
        BenchReport.PytorchRow r = report.pytorchRows().getFirst();
        assertEquals(0.12, r.javaSelectMs(), EPS);
        assertEquals(1.8, r.torchTopkMs(), EPS);
        assertEquals(15.0, r.torchTopkOverJavaSelect(), 1e-9);
        assertNull(r.torchGrdaLoopOverJavaGrda());
        String md = report.markdown(new BenchReport.Context("quick", "2025-01-01T00:00Z", Map.of(), Map.of(), List.of()));
        assertTrue(md.contains("| 0.1200 | 1.800 | 15.00 |"), md);
        // the select row's bandwidth counts its nominal 8 B/param (w and g once)
        BenchReport.OptimizerRow select = report.optimizerRows().stream().filter(x -> x.kind().equals("select")).findFirst().orElseThrow();
        assertEquals(8.0 * n / 0.12e-3 / 1e9, select.gbPerSecond(), 1e-9);
    }

    private static Measurement cpuTrain(String model, int batch, String optimizer, double ms) {
        return new Measurement("train-step", "cpu", Map.of("model", model, "batch", Integer.toString(batch), "optimizer", optimizer), ms, ms, null, 5);
    }

    private static PytorchResults.Row torchTrain(String model, long params, int tensors, double ms) {
        return new PytorchResults.Row("train-" + model, params, tensors, "train_sgd_momentum", ms, model, 128);
    }

    /** A PyTorch-CPU file and our CPU rows, the ratios worked out by hand: sparsestep / PyTorch. */
    @Test
    void cpuSideBySidePairsEachPytorchRowWithItsPeerAndListsTheRest() {
        long m16 = 16L << 20;
        List<Measurement> ours = List.of(opt("cpu", m16, "copy", 3.0), opt("cpu", m16, "grda", 5.0), opt("cpu", m16, "sgd-momentum", 6.0),
                opt("cpu", m16, "select", 40.0), opt("cpu", m16, "sgd", 4.0),
                cpuTrain("lenet300", 128, "sgd-momentum", 2.0), cpuTrain("lenet300", 128, "grda", 1.9),
                cpuTrain("lenet5", 128, "sgd-momentum", 45.0), cpuTrain("vgg16", 16, "sgd-momentum", 500.0),
                opt("cuda", m16, "grda", 0.1)); // a GPU row is nobody's peer here
        List<MemoryRecord> mem = List.of(new MemoryRecord("train-step", "cpu", Map.of("model", "lenet5", "batch", "128", "optimizer", "sgd-momentum"),
                431_080, 0, 1, 0), new MemoryRecord("train-step", "cpu", Map.of("model", "lenet300", "batch", "128", "optimizer", "sgd-momentum"),
                266_000, 0, 1, 0));
        PytorchResults torch = new PytorchResults("AMD EPYC (2 logical CPUs)", "1.13.0", "cpu", 2, 2, List.of(
                new PytorchResults.Row("flat-16M", m16, 1, "copy", 2.0),
                new PytorchResults.Row("flat-16M", m16, 1, "grda_loop", 100.0),
                new PytorchResults.Row("flat-16M", m16, 1, "sgd_momentum_foreach", 5.0),
                new PytorchResults.Row("flat-16M", m16, 1, "topk", 800.0),
                torchTrain("lenet300", 266_610, 6, 4.0), torchTrain("lenet5", 431_080, 8, 30.0), torchTrain("resnet20", 272_474, 65, 400.0)));
        BenchReport report = new BenchReport(ours, mem, torch);
        assertTrue(report.pytorchRows().isEmpty(), "a CPU file fills no GPU table");
        PytorchCpuComparison cmp = report.pytorchCpu().orElseThrow();

        List<PytorchCpuComparison.Pair> p = cmp.pairs();
        assertEquals(List.of("copy", "grda", "sgd-momentum", "select", "sgd-momentum", "sgd-momentum"),
                p.stream().map(PytorchCpuComparison.Pair::sparsestep).toList());
        assertEquals(1.5, p.get(0).sparsestepOverPytorch(), EPS);   // 3 / 2
        assertEquals(0.05, p.get(1).sparsestepOverPytorch(), EPS);  // 5 / 100
        assertEquals(1.2, p.get(2).sparsestepOverPytorch(), EPS);   // 6 / 5
        assertEquals(0.05, p.get(3).sparsestepOverPytorch(), EPS);  // 40 / 800
        assertEquals(0.5, p.get(4).sparsestepOverPytorch(), EPS);   // 2 / 4, the SGD-m step, not gRDA's 1.9
        assertEquals(1.5, p.get(5).sparsestepOverPytorch(), EPS);   // 45 / 30
        assertEquals(List.of(false, true, true, false, true, true), p.stream().map(PytorchCpuComparison.Pair::judged).toList(),
                "copy and select / topk are shown, not judged");
        assertEquals("lenet300, batch 128", p.get(4).workload());
        assertEquals("parameter counts differ: sparsestep 266,000, PyTorch 266,610", p.get(4).note());
        assertEquals("", p.get(5).note(), "equal counts: nothing to say");

        assertEquals(List.of("train_sgd_momentum on resnet20, batch 128"), cmp.pytorchWithoutPeer());
        assertEquals(List.of("optimizer step sgd (16M)", "training step grda (lenet300 at batch 128)",
                "training step sgd-momentum (vgg16 at batch 16)"), cmp.sparsestepWithoutPeer());

        List<BenchReport.Target> t = report.targets().stream().filter(x -> x.name().contains("PyTorch-CPU")).toList();
        assertEquals(2, t.size());
        assertEquals(1.2, t.get(0).measured(), EPS, "worst judged optimizer row: SGD-momentum; the copy's 1.5 is not judged");
        assertFalse(t.get(0).met());
        assertTrue(t.get(0).detail().contains("sgd-momentum on 16M"), t.get(0).detail());
        assertEquals(1.5, t.get(1).measured(), EPS);
        assertTrue(t.get(1).detail().contains("lenet5, batch 128"), t.get(1).detail());
        assertTrue(report.targets().stream().noneMatch(x -> x.name().contains("fused SGD-momentum")), "no GPU targets from a CPU file");

        String md = report.markdown(new BenchReport.Context("peers", "2026-12-01", Map.of(), Map.of(), List.of()));
        assertTrue(md.contains("## CPU: sparsestep next to PyTorch (AMD EPYC (2 logical CPUs), torch 1.13.0, 2 intra-op / 2 inter-op threads)"), md);
        assertTrue(md.contains("| optimizer step | 16M | grda | 5.000 | grda_loop | 100.0 | 0.050 |  |"), md);
        assertTrue(md.contains("| training step | lenet5, batch 128 | sgd-momentum | 45.000 | train_sgd_momentum | 30.000 | 1.500 |  |"), md);
        assertTrue(md.contains("| optimizer step | 16M | copy | 3.000 | copy | 2.000 | 1.500 | not judged |"), md);
        assertTrue(md.contains("PyTorch rows without a sparsestep peer in this run: train_sgd_momentum on resnet20, batch 128"), md);
        Map<String, Object> summary = report.summary(new BenchReport.Context("peers", "d", Map.of(), Map.of(), List.of()));
        assertEquals(p, summary.get("pytorch_cpu"));
    }

    @Test
    void cpuSideBySideWithNoMatchingRowsJudgesNothing() {
        PytorchResults torch = new PytorchResults("cpu", "1.13.0", "cpu", 2, 2, List.of(torchTrain("vgg16", 14_724_042, 41, 3000.0)));
        BenchReport report = new BenchReport(List.of(cpuTrain("vgg16", 16, "sgd-momentum", 500.0)), List.of(), torch);
        List<BenchReport.Target> t = report.targets().stream().filter(x -> x.name().contains("PyTorch-CPU")).toList();
        assertTrue(t.stream().allMatch(x -> x.met() == null && x.detail().equals("no paired rows")), t.toString());
        assertEquals(List.of("train_sgd_momentum on vgg16, batch 128"), report.pytorchCpu().orElseThrow().pytorchWithoutPeer(),
                "batch 16 is not batch 128");
    }

    @Test
    void markdownShowsTheComputedFiguresAndMissingValuesAsDashes() {
        BenchReport.Context ctx = new BenchReport.Context("quick", "2025-01-01T00:00Z", Map.of("cpu", "test cpu"),
                Map.of("cuda", "no GPU"), List.of("a note"));
        String md = new BenchReport(CPU, MEMORY, null).markdown(ctx);
        assertTrue(md.contains("| cpu | 1,000,000 | grda | 1 | 16 | 2.500 | - | 6.4 | 0.80 | 1.000 | 3.8 | 11.4 | 0 |"), md);
        assertTrue(md.contains("| cpu | 2,000,000 | grda | 1 | 16 | 6.400 | - | 5.0 | 0.78 | 1.067 | - | - | - |"), md);
        assertTrue(md.contains("| cpu | 2,000,000 | masked-sgd-step | 1 | 21 | 7.500 | - | 5.6 | 0.87 | 1.250 | - | - | - |"), md);
        assertTrue(md.contains("copy 8, grda 16, sgd 12, sgd-momentum 20, gsm 44, gmp 21"), md);
        assertTrue(md.contains("gsm-step 20, masked-sgd-step 21, select 8"), md);
        assertTrue(md.contains("| cpu | lenet300 | 128 | 266,610 | 10.200 | 0.1020 | 10.000 | 0.1000 | 1.020 |"), md);
        assertTrue(md.contains("cuda skipped: no GPU"), md);
        assertTrue(md.contains("MISSED"), md);
    }

    @Test
    void sizeLabels() {
        assertEquals("1M", BenchReport.sizeLabel(1L << 20));
        assertEquals("256M", BenchReport.sizeLabel(256L << 20));
        assertEquals("25,557,032", BenchReport.sizeLabel(25_557_032L));
    }

    private static Measurement inference(String model, String stage, double ms) {
        return new Measurement("inference", "cpu", Map.of("model", model, "batch", "16", "shrink", stage), ms, ms, ms / 50, 3);
    }

    @Test
    void inferenceRowsPairBeforeWithAfter() {
        List<Measurement> ms = List.of(inference("vgg16", "before", 300.0), inference("vgg16", "after", 200.0), inference("resnet56", "before", 90.0));
        List<MemoryRecord> mem = List.of(new MemoryRecord("inference", "cpu", Map.of("model", "vgg16", "batch", "16", "shrink", "after"),
                5_400_000, 0, 1, 0));
        BenchReport report = new BenchReport(ms, mem, null);
        List<BenchReport.InferenceRow> rows = report.inferenceRows();
        assertEquals(2, rows.size());
        BenchReport.InferenceRow vgg = rows.getFirst();
        assertEquals("vgg16", vgg.model());
        assertEquals(16, vgg.batch());
        assertEquals(1.5, vgg.speedup(), EPS);
        assertEquals(6.0, vgg.beforeErrorMs(), EPS);
        assertEquals(4.0, vgg.afterErrorMs(), EPS);
        assertNull(vgg.parametersBefore(), "not probed");
        assertEquals(5_400_000L, vgg.parametersAfter());
        // the multiply-adds of VGG-16 and VGG-16-A on 3x32x32 (ModelCostTest)
        assertEquals(313_201_664L, vgg.macsBefore());
        assertEquals(206_146_048L, vgg.macsAfter());
        BenchReport.InferenceRow resnet = rows.get(1);
        assertNull(resnet.afterMs());
        assertNull(resnet.speedup(), "a missing half gives no ratio, not zero");
        String md = report.markdown(new BenchReport.Context("quick", "2026-01-01", Map.of(), Map.of(), List.of()));
        assertTrue(md.contains("| cpu | vgg16 | 16 | - | 5,400,000 | 313,201,664 | 206,146,048 | 300.0 | 6.000 | 200.0 | 4.000 | 1.50 |"), md);
    }
}
