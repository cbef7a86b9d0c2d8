package io.sparsestep.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import io.sparsestep.optim.PruneScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * saveState/loadState of sDprun, GSM and GMP: saved half way through 12 batches inside DJL's
 * loop and resumed into a fresh model and optimizer, each continues bit for bit like the run
 * that never stopped, and not without its state ({@link OptimizerStateTest#resumesBitwise}).
 * GMP's schedule updates its masks in both halves (steps 0, 2, ..., 10), so the masks must
 * come back for the zeros to stay where they were. GSM's final prune is part of the state.
 */
class MethodStateTest {
    @Test
    void sdprunResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        OptimizerStateTest.resumesBitwise(dir, block -> SparsestepOptimizer.sdprun().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f))
                .optC(0.05).optBiasC(0.01).build());
    }

    @Test
    void gsmResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        OptimizerStateTest.resumesBitwise(dir, block -> SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(0.05f))
                .optRatio(0.1).optNesterov(true).build());
    }

    @Test
    void gmpPerLayerResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        OptimizerStateTest.resumesBitwise(dir, block -> gmp(block, PruneScope.LAYER));
    }

    @Test
    void gmpGlobalResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        OptimizerStateTest.resumesBitwise(dir, block -> gmp(block, PruneScope.GLOBAL));
    }

    private static SparsestepOptimizer gmp(ai.djl.nn.Block block, PruneScope scope) {
        return SparsestepOptimizer.gmp().setBlock(block).setLearningRateTracker(Tracker.fixed(0.05f))
                .optFinalSparsity(0.8).optEndStep(10).optFrequency(2).optScope(scope).build();
    }

    @Test
    void gsmsFinalPruneIsSavedAndEndsItsTraining() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.05f))
                    .optRatio(0.1).build();
            try (Trainer trainer = OptimizerStateTest.trainer(model, gsm)) {
                OptimizerStateTest.Batches two = OptimizerStateTest.batches(manager).subList(0, 2);
                OptimizerStateTest.train(trainer, two.subList(0, 1));
                long kept = gsm.finalPrune();
                // 266,200 weights: k0 = floor(266200 * 0.9) = 239580 pruned, 26,620 kept (no ties among trained weights)
                assertEquals(26_620, kept);
                assertEquals(1 - 26_620 / 266_200.0, gsm.overallSparsity(), 1e-12);
                IllegalStateException again = assertThrows(IllegalStateException.class, () -> OptimizerStateTest.train(trainer, two.subList(1, 2)));
                assertTrue(again.getMessage().startsWith("GSM's final prune has run"), again.getMessage());

                byte[] saved = OptimizerStateTest.save(gsm);
                SparsestepOptimizer loaded = SparsestepOptimizer.gsm().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.05f))
                        .optRatio(0.1).build();
                loaded.loadState(new ByteArrayInputStream(saved));
                IllegalStateException prunedAgain = assertThrows(IllegalStateException.class, loaded::finalPrune);
                assertEquals("GSM's final prune has run already", prunedAgain.getMessage());
            }
        }
    }

    private static int utf(String s) { return 2 + s.length(); }

    @Test
    void aDamagedMaskIsRefused() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer gmp = gmp(model.getBlock(), PruneScope.LAYER);
            try (Trainer trainer = OptimizerStateTest.trainer(model, gmp)) {
                OptimizerStateTest.train(trainer, OptimizerStateTest.batches(manager).subList(0, 1));
            }
            byte[] saved = OptimizerStateTest.save(gmp);
            // the first entry is 01Linear_weight (the block's order): its mask follows its header, its
            // momentum buffer (300 x 784 floats) and the mask flag; strings are 2 bytes of length and ASCII
            int header = 4 + 4 + utf(gmp.describe()) + 4;
            int mask = header + utf("01Linear_weight") + utf("cpu") + 4 + 8 + 8 + 8 + 4 + 300 * 784 * Float.BYTES + 1;
            assertEquals(1, saved[mask - 1], "the mask flag");
            byte[] damaged = saved.clone();
            damaged[mask + 17] = 7;
            SparsestepOptimizer fresh = gmp(model.getBlock(), PruneScope.LAYER);
            IOException e = assertThrows(IOException.class, () -> fresh.loadState(new ByteArrayInputStream(damaged)));
            assertTrue(e.getMessage().contains("a mask byte is 7 (0 or 1 expected)"), e.getMessage());
            // and a GMP state is no GSM state
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.05f)).build();
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> gsm.loadState(new ByteArrayInputStream(saved)));
            assertTrue(other.getMessage().contains("the optimizer state is of GMP sparsity 0.0->0.8"), other.getMessage());
        }
    }
}
