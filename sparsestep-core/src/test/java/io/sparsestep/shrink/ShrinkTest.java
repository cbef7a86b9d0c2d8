package io.sparsestep.shrink;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.sparsestep.shrink.ShrinkFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shrunk network computes the masked network's function: its evaluation-mode logits
 * equal the masked one's within float rounding, on every model of the zoo, with random
 * weights and running statistics.
 *
 * <p>Tolerance: {@code |a - b| <= 1e-5 * (1 + max |a|)} over a batch. The two networks
 * add the same nonzero terms in other orders (GEMM and convolution blocking change with the
 * channel counts) and the folded biases are rounded once more; each reordering moves a
 * float32 sum by a few units in the last place of its largest terms (2^-24 relative, about
 * 6e-8), and the errors pass through up to 56 layers. Measured on the CPU backend: at most
 * 7e-7 of the largest logit (VGG-16; ResNet-56 5e-7 with logits near 185), so the bound has
 * a margin of about 15; a missed fold or a wrong constant moves logits by 1e-2 and more.
 */
class ShrinkTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    private static final int BATCH = 2;

    private static double assertSameLogits(Architecture before, Map<String, HostTensor> masked, Shrink.Result r, int[] in) {
        float[] x = images(BATCH, in, 3);
        float[] a = logits(be, before, masked, in, 10, x, BATCH);
        float[] b = logits(be, r.after(), r.tensors(), in, 10, x, BATCH);
        double scale = 0, worst = 0;
        for (float v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        assertTrue(worst <= 1e-5 * (1 + scale), "logits differ by " + worst + " (largest " + scale + ")");
        System.out.printf("shrink %s -> %s: largest logit %.3g, largest difference %.3g%n", before.model(), r.after().isDefault() ? "same" : "smaller", scale, worst);
        return worst;
    }

    @ParameterizedTest
    @CsvSource({"lenet300, 1, 28", "lenet5, 1, 28", "vgg16, 3, 32", "resnet20, 3, 32", "resnet56, 3, 16", "wrn28-1, 3, 16"})
    void theShrunkNetworkComputesTheMaskedOnesLogits(String model, int channels, int hw) {
        int[] in = {channels, hw, hw};
        Architecture arch = Architecture.defaults(model);
        ModelGraph g = graph(arch, in, 10);
        LinkedHashMap<String, HostTensor> t = random(g, 11);
        ChannelSpaces cs = ChannelSpaces.of(g);
        Random pick = new Random(5);
        Map<String, Integer> expected = new LinkedHashMap<>(arch.widths());
        for (int s = 0; s < cs.count(); s++) {
            if (!cs.removable(s)) continue;
            int width = cs.width(s);
            List<Integer> order = new ArrayList<>();
            for (int c = 0; c < width; c++) order.add(c);
            Collections.shuffle(order, pick);
            // a third of every space: filters, and with batch norm its scale and shift, so every channel can go
            for (int c : order.subList(0, width / 3)) Shrink.zeroChannel(g, t, cs.producers(s).getFirst().name(), c);
            for (ModelGraph.Weighted p : cs.producers(s)) expected.put(p.name(), width - width / 3);
        }
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        assertEquals(expected, r.after().widths());
        assertEquals(List.of(), r.kept());
        assertTrue(r.changed());
        assertSameLogits(arch, t, r, in);
    }

    @Test
    void constantChannelsFoldIntoALinearLayerAndStayBeforeAPaddedConv() {
        int[] in = {3, 32, 32};
        Architecture arch = Architecture.defaults("vgg16");
        LinkedHashMap<String, HostTensor> t = random(arch, in, 12);
        // conv13's channel 7 is a constant k after its batch norm and ReLU; pooled, it reaches the classifier: folded
        zeroFilter(t, "conv13", 7);
        setNorm(t, "bn13", 7, 0.8f, 0.5f, 0.3f, 2f);
        double k = (0 - 0.3f) / Math.sqrt(2 + 1e-5f) * 0.8f + 0.5f;
        // conv5's channel 3 is a constant 0.5 too, but conv6 pads: its border sees 0, so no bias can stand for it
        zeroFilter(t, "conv5", 3);
        setNorm(t, "bn5", 3, 1f, 0.5f, 0f, 1f);
        // conv7's channel 2 is a constant -1.3, which ReLU makes an exact 0: it goes without touching its batch norm
        zeroFilter(t, "conv7", 2);
        setNorm(t, "bn7", 2, 1f, -1f, 0.3f, 1f);
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        assertEquals(arch.with(Map.of("conv13", 511, "conv7", 255)), r.after());
        assertEquals(List.of(new Shrink.Kept("conv5", 1, "its constant output reaches conv6, which pads its input (padding 1) "
                + "(a nonzero constant folds only into a linear layer's or an unpadded conv's bias)")), r.kept());
        // the fold: fc's bias gained k (the pooled constant) times each row's weight on channel 7
        float[] w = t.get("fc.weight").values(), b0 = t.get("fc.bias").values(), b1 = r.tensors().get("fc.bias").values();
        for (int o = 0; o < 10; o++) assertEquals(b0[o] + k * w[o * 512 + 7], b1[o], 1e-6, "fc.bias[" + o + "]");
        assertSameLogits(arch, t, r, in);
    }

    private static void setNorm(Map<String, HostTensor> t, String bn, int c, float gamma, float beta, float mean, float var) {
        set(t, bn + ".weight", c, gamma);
        set(t, bn + ".bias", c, beta);
        set(t, bn + ".running_mean", c, mean);
        set(t, bn + ".running_var", c, var);
    }

    /** The zoo has no padded conv with a bias (VGG and the ResNets have none, LeNet-5 does not pad), so the rule is held here on its own. */
    @Test
    void onlyALinearLayerOrAnUnpaddedConvWithABiasAbsorbsAConstant() {
        assertTrue(Shrink.foldable(new ModelGraph.Dense("fc", 0, 1, 4, 2, true)));
        assertFalse(Shrink.foldable(new ModelGraph.Dense("fc", 0, 1, 4, 2, false)));
        assertTrue(Shrink.foldable(new ModelGraph.Conv("conv", 0, 1, 3, 8, 5, 1, 0, true)));
        assertFalse(Shrink.foldable(new ModelGraph.Conv("conv", 0, 1, 3, 8, 3, 1, 1, true)), "its border sees zeros, not the constant");
        assertFalse(Shrink.foldable(new ModelGraph.Conv("conv", 0, 1, 3, 8, 1, 2, 0, false)));
    }

    @Test
    void aChannelAnIdentityShortcutTiesGoesOnlyIfEveryTensorOnThePathDropsIt() {
        int[] in = {3, 16, 16};
        Architecture arch = Architecture.defaults("resnet20");
        ModelGraph g = graph(arch, in, 10);
        LinkedHashMap<String, HostTensor> t = random(g, 13);
        // channel 5 of stage 1 is zero in the stem and in every block output: it goes from all of them
        Shrink.zeroChannel(g, t, "conv1", 5);
        // channel 9 is zero in the stem and the first block only: the later blocks still add to it, so it stays
        for (String layer : List.of("conv1", "layer1.0.branch.conv2")) zeroFilter(t, layer, 9);
        for (String bn : List.of("bn1", "layer1.0.branch.bn2")) setNorm(t, bn, 9, 0f, 0f, 0.1f, 1f);
        // stage 2 begins at a projection, which decouples it: its channel 3 goes without stage 1 losing it
        Shrink.zeroChannel(g, t, "layer2.0.shortcut.conv", 3);
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String l : List.of("conv1", "layer1.0.branch.conv2", "layer1.1.branch.conv2", "layer1.2.branch.conv2")) expected.put(l, 15);
        for (String l : List.of("layer2.0.branch.conv2", "layer2.0.shortcut.conv", "layer2.1.branch.conv2", "layer2.2.branch.conv2")) expected.put(l, 31);
        assertEquals(arch.with(expected), r.after());
        String tied = "a residual sum ties it to a layer whose filter is not zero";
        assertEquals(List.of(new Shrink.Kept("conv1", 1, tied), new Shrink.Kept("layer1.0.branch.conv2", 1, tied)), r.kept());
        assertSameLogits(arch, t, r, in);
    }

    @Test
    void aRowThatRemovedInputsLeaveAllZeroGoesInTheNextPass() {
        int[] in = {1, 28, 28};
        Architecture arch = Architecture.defaults("lenet300");
        LinkedHashMap<String, HostTensor> t = random(arch, in, 14);
        for (int c = 0; c < 10; c++) zeroFilter(t, "fc1", c);
        // fc2's row 4 reads only fc1's channels 0-9, which go: the row is then zero, and its channel a constant
        float[] w2 = t.get("fc2.weight").values();
        java.util.Arrays.fill(w2, 4 * 300 + 10, 5 * 300, 0f);
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        assertEquals(arch.with(Map.of("fc1", 290, "fc2", 99)), r.after());
        assertSameLogits(arch, t, r, in);
    }

    @Test
    void aLayerKeepsItsLowestChannelWhenAllAreZero() {
        int[] in = {1, 28, 28};
        Architecture arch = Architecture.defaults("lenet5");
        LinkedHashMap<String, HostTensor> t = random(arch, in, 15);
        for (int c = 0; c < 50; c++) zeroFilter(t, "conv2", c);
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        assertEquals(arch.with(Map.of("conv2", 1)), r.after());
        assertEquals(List.of(new Shrink.Kept("conv2", 1, "it is the last channel (a layer keeps at least one)")), r.kept());
        // channel 0's bias stays; fc1 keeps its 16 positions of channel 0 (features 0-15)
        assertEquals(t.get("conv2.bias").values()[0], r.tensors().get("conv2.bias").values()[0]);
        assertEquals(16, r.tensors().get("fc1.weight").shape()[1]);
        assertSameLogits(arch, t, r, in);
    }

    @Test
    void nothingRemovableLeavesEverythingAsItWas() {
        int[] in = {1, 28, 28};
        Architecture arch = Architecture.defaults("lenet5");
        LinkedHashMap<String, HostTensor> t = random(arch, in, 16);
        // a classifier row is never removed: a class cannot go
        zeroFilter(t, "fc2", 3);
        Shrink.Result r = Shrink.apply(arch, in, 10, t, "test");
        assertFalse(r.changed());
        assertEquals(0, r.removedFilters());
        assertEquals(t, r.tensors());
    }

    @Test
    void weightsOfAnotherModelNameTheFirstMismatch() {
        int[] in = {3, 32, 32};
        LinkedHashMap<String, HostTensor> vgg = random(Architecture.defaults("vgg16"), in, 17);
        var shape = assertThrows(IllegalArgumentException.class, () -> Shrink.apply(Architecture.preset("vgg16-a"), in, 10, vgg, "w.safetensors"));
        assertEquals("w.safetensors: tensor 'conv1.weight' has shape [64, 3, 3, 3], vgg16 with the given widths needs [32, 3, 3, 3]; "
                + "is it a file of another model, widths or input size?", shape.getMessage());
        vgg.remove("bn2.running_var");
        var missing = assertThrows(IllegalArgumentException.class, () -> Shrink.apply(Architecture.defaults("vgg16"), in, 10, vgg, "w.safetensors"));
        assertEquals("w.safetensors: has no tensor 'bn2.running_var', which vgg16 needs; is it a file of another model (--model, --widths)?",
                missing.getMessage());
    }
}
