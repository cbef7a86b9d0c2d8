package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One-shot magnitude pruning with torch.nn.utils.prune's global_unstructured L1 semantics
 * (ALGORITHMS.md 5): exactly round_half_even(amount * still-unpruned) removed, the smallest
 * |w| globally, ties by index; iterative amounts compound over what is still unpruned; the
 * prune happens at the start of the epoch after --prune-epoch, then the mask is fixed.
 */
class MagnitudePruningTest {
    @Test
    void pruneRemovesExactlyRoundHalfEvenOfTheKeptGloballyWithTiesByIndex() {
        try (PruningFixture f = new PruningFixture(2, 0, 3, 2)) {
            // 5 weights, sparsity 0.5: round(2.5) = 2 (half to even) removed: the two smallest |w|, 0.5 tied three ways
            f.set("w0", new float[]{0.5f, 3f, -0.5f});
            f.set("w1", new float[]{-0.5f, 2f});
            try (Optimizer m = f.build("magnitude", Map.of("--sparsity", "0.5", "--prune-epoch", "0"), new TrainingPlan(2, 1, 0))) {
                m.startEpoch(1);
                // of the tied 0.5s at global indices 0, 2, 3, the lowest-indexed (0) is kept
                assertArrayEquals(new float[]{0.5f, 3f, 0f}, f.get("w0"));
                assertArrayEquals(new float[]{0f, 2f}, f.get("w1"));
                assertEquals(3, m.pruningMask().orElseThrow().kept());
            }
        }
    }

    @Test
    void twoPrunesOfTwentyPercentLeaveSixtyFourPercentAsTorchDoes() {
        Random r = new Random(4);
        int n = 10_000;
        try (PruningFixture f = new PruningFixture(2, 0, n)) {
            f.set("w0", GsmTest.gaussian(r, n));
            try (MagnitudePruning m = (MagnitudePruning) f.build("magnitude", Map.of("--sparsity", "0.2", "--prune-epoch", "0"),
                    new TrainingPlan(2, 1, 0))) {
                m.prune();
                assertEquals(8000, m.pruningMask().orElseThrow().kept());
                m.prune(); // a second application counts only what is still unpruned: 0.2 * 8000 = 1600 more
                assertEquals(6400, m.pruningMask().orElseThrow().kept());
                assertEquals(3600, GsmTest.zeros(f.get("w0")));
            }
        }
    }

    @Test
    void thePruneComesAfterHalfTheEpochsByDefaultAndTheMaskStaysFixed() {
        Random r = new Random(6);
        int n = 400;
        try (PruningFixture f = new PruningFixture(1, 2, n)) {
            f.set("w0", GsmTest.gaussian(r, n));
            try (Optimizer m = f.build("magnitude", Map.of("--sparsity", "0.75"), new TrainingPlan(6, 3, 0))) {
                assertEquals(3, ((MagnitudePruning) m).pruneAfter());
                for (int epoch = 1; epoch <= 6; epoch++) {
                    m.startEpoch(epoch);
                    for (int s = 0; s < 3; s++) {
                        f.grad("w0", GsmTest.gaussian(r, n));
                        m.step(1);
                    }
                    long zeros = GsmTest.zeros(f.get("w0"));
                    assertEquals(epoch <= 3 ? 0 : 300, zeros, "epoch " + epoch);
                }
            }
        }
        try (PruningFixture f = new PruningFixture(1, 0, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> f.build("magnitude", Map.of("--prune-epoch", "4"), new TrainingPlan(4, 1, 0)));
            assertTrue(e.getMessage().startsWith("--prune-epoch 4 leaves no epoch to fine-tune"), e.getMessage());
        }
    }

    @Test
    void beforeThePruneEveryMaskedMethodIsMomentumSgdBitForBit() {
        // the masked methods whose first steps prune nothing: their step is SGD with decay on the weights only
        java.util.Map<String, Map<String, String>> methods = Map.of(
                "magnitude", Map.of(),
                "droppruning", Map.of(),
                "gmp", Map.of("--begin-step", "50", "--end-step", "100"));
        for (var m : methods.entrySet()) {
            Random r = new Random(1);
            int n = 3000;
            float[] w0 = GsmTest.gaussian(r, n), b0 = GsmTest.gaussian(r, 4);
            java.util.Map<String, String> options = new java.util.HashMap<>(m.getValue());
            options.putAll(Map.of("--lr", "0.05", "--momentum", "0.9", "--weight-decay", "1e-3", "--nesterov", "true"));
            try (PruningFixture a = new PruningFixture(2, 4, n); PruningFixture b = new PruningFixture(2, 4, n)) {
                for (PruningFixture f : new PruningFixture[]{a, b}) {
                    f.set("w0", w0);
                    f.set("b", b0);
                }
                try (Optimizer method = a.build(m.getKey(), options, new TrainingPlan(4, 25, 0));
                     Optimizer sgd = Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3)
                             .group(io.sparsestep.params.ParamGroup.BIAS_AND_NORM, s -> s.withWeightDecay(0)).build(b.space)) {
                    method.startEpoch(1);
                    for (int step = 0; step < 4; step++) {
                        float[] g = GsmTest.gaussian(r, n), gb = GsmTest.gaussian(r, 4);
                        for (PruningFixture f : new PruningFixture[]{a, b}) {
                            f.grad("w0", g);
                            f.grad("b", gb);
                        }
                        method.step(1);
                        sgd.step(1);
                        io.sparsestep.testing.Bits.assertSameBits(b.get("w0"), a.get("w0"), m.getKey() + " weights, step " + (step + 1));
                        io.sparsestep.testing.Bits.assertSameBits(b.get("b"), a.get("b"), m.getKey() + " bias, step " + (step + 1));
                    }
                }
            }
        }
    }
}
