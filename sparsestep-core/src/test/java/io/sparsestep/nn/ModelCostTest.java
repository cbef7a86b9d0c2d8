package io.sparsestep.nn;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Multiply-adds per sample against hand counts (ALGORITHMS.md 8.2; the sums are worked out
 * in the comments) and Li et al.'s published figures, on CIFAR's 3x32x32 with 10 classes.
 */
class ModelCostTest {
    private static final int[] CIFAR = {3, 32, 32};

    private static ModelCost cost(Architecture a) { return ModelCost.of(a, CIFAR, 10); }

    /** Li et al.'s CIFAR ResNet-56 has option-A (parameter-free) shortcuts: our two 1x1 projections are not in their count. */
    private static long withoutProjections(ModelCost c) {
        return c.layers().stream().filter(l -> !l.name().contains(".shortcut.")).mapToLong(ModelCost.LayerCost::macs).sum();
    }

    private static String threeDigits(double v) { return String.format(Locale.ROOT, "%.2e", v); }

    @Test
    void vgg16AndVgg16A() {
        // conv: 3*64*9*1024 + 64*64*9*1024 + (64*128 + 128*128)*9*256 + (128*256 + 2*256*256)*9*64
        //       + (256*512 + 2*512*512)*9*16 + 3*512*512*9*4 = 313,196,544; fc 512*10
        ModelCost full = cost(Architecture.defaults("vgg16"));
        assertEquals(313_196_544L + 5_120, full.macs());
        assertEquals(2 * full.macs(), full.flops());
        // conv1 32, conv8-13 256: 206,143,488; fc 256*10
        ModelCost a = cost(Architecture.preset("vgg16-a"));
        assertEquals(206_143_488L + 2_560, a.macs());
        assertEquals("3.13e+08", threeDigits(full.macs()));
        assertEquals("2.06e+08", threeDigits(a.macs()));
        assertEquals("34.2", String.format(Locale.ROOT, "%.1f", 100.0 * (1 - (double) a.macs() / full.macs())));
    }

    @Test
    void resnet56AndItsLiEtAlVariants() {
        // stem 3*16*9*1024; per block of first-conv width w: stage 1 w*2*16*9*1024, stage 2/3 blocks 1-8 w*2*C*9*S,
        // block 0 (stride 2) w*(C/2 + C)*9*S; fc 64*10; projections 16*32*256 + 32*64*64 = 262,144
        ModelCost full = cost(Architecture.defaults("resnet56"));
        ModelCost a = cost(Architecture.preset("resnet56-a"));
        ModelCost b = cost(Architecture.preset("resnet56-b"));
        assertEquals(125_485_696L, withoutProjections(full));
        assertEquals(112_435_840L, withoutProjections(a));
        assertEquals(90_907_264L, withoutProjections(b));
        assertEquals(125_485_696L + 262_144, full.macs());
        assertEquals(112_435_840L + 262_144, a.macs());
        assertEquals(90_907_264L + 262_144, b.macs());
        // Li et al.: 1.25e8 -> 1.12e8 (-10.4%) and 9.09e7 (-27.6%), on the layers both models have
        assertEquals("1.25e+08", threeDigits(withoutProjections(full)));
        assertEquals("1.12e+08", threeDigits(withoutProjections(a)));
        assertEquals("9.09e+07", threeDigits(withoutProjections(b)));
        assertEquals("10.4", String.format(Locale.ROOT, "%.1f", 100.0 * (1 - (double) withoutProjections(a) / withoutProjections(full))));
        assertEquals("27.6", String.format(Locale.ROOT, "%.1f", 100.0 * (1 - (double) withoutProjections(b) / withoutProjections(full))));
    }

    /** Per conv 9*c_in*c_out + 2*c_out (batch norm), per projection c_in*c_out + 2*c_out, classifier in*10 + 10. */
    @Test
    void parametersByHand() {
        // 13 convs of VGG-16 / VGG-16-A, then 512*10+10 or 256*10+10
        assertEquals(14_724_042L, cost(Architecture.defaults("vgg16")).parameters());
        assertEquals(5_261_866L, cost(Architecture.preset("vgg16-a")).parameters());
        // stem 9*3*16 + 32; per block 9*c_in*w + 2w + 9*w*C + 2C; projections 16*32+64 and 32*64+128; fc 650
        assertEquals(855_770L, cost(Architecture.defaults("resnet56")).parameters());
        assertEquals(776_088L, cost(Architecture.preset("resnet56-a")).parameters());
        assertEquals(738_464L, cost(Architecture.preset("resnet56-b")).parameters());
    }

    /** ALGORITHMS.md 8.1-8.2: Scratch-B trains int(160 * FLOPs_full / FLOPs_pruned) epochs; our models' ratios give the golden counts. */
    @Test
    void scratchBEpochsFromOurCountsAreTheGoldenOnes() {
        assertEquals(243, scratchB("vgg16", "vgg16-a"));
        assertEquals(178, scratchB("resnet56", "resnet56-a"));
        assertEquals(220, scratchB("resnet56", "resnet56-b"));
    }

    private static int scratchB(String model, String preset) {
        return (int) (160.0 * cost(Architecture.defaults(model)).macs() / cost(Architecture.preset(preset)).macs());
    }

    @Test
    void lenetsByHand() {
        // 784*300 + 300*100 + 100*10
        assertEquals(266_200L, ModelCost.of(Architecture.defaults("lenet300"), new int[] {1, 28, 28}, 10).macs());
        // conv1 25*20*24*24 + conv2 25*20*50*8*8 + fc1 800*500 + fc2 500*10
        assertEquals(288_000L + 1_600_000 + 400_000 + 5_000, ModelCost.of(Architecture.defaults("lenet5"), new int[] {1, 28, 28}, 10).macs());
        assertEquals(431_080L, ModelCost.of(Architecture.defaults("lenet5"), new int[] {1, 28, 28}, 10).parameters());
    }
}
