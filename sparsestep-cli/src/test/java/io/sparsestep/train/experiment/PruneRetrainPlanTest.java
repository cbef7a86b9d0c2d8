package io.sparsestep.train.experiment;

import io.sparsestep.optim.FilterPruningSpec;
import io.sparsestep.optim.GmpSpec;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.GsmSpec;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.imp.ImpConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The experiment's presets and the runs they plan: IMP's target, the methods at it, Li et al.'s ResNet-20 skip list. */
class PruneRetrainPlanTest {
    private static PruneRetrainPlan plan(String model, String size) {
        return new PruneRetrainPlan(model, ExperimentSize.of(model, size), 1, "cpu", Path.of("out"), false);
    }

    @Test
    void theMethodsAreAskedForImpsNominalSparsity() {
        PruneRetrainPlan p = plan("lenet300", "small");
        // five rounds of 0.5: four prunes, 1 - 0.5^4
        assertEquals(0.9375, p.size().impTarget(), 0);
        List<RunConfig> runs = p.maskMethods();
        assertEquals(List.of("grda", "gsm", "gmp"), runs.stream().map(RunConfig::optimizer).toList());
        assertEquals(0.0625, ((GsmSpec) runs.get(1).method()).ratio(), 0, "GSM keeps 1 - target");
        GmpSpec gmp = (GmpSpec) runs.get(2).method();
        assertEquals(0.9375, gmp.finalSparsity(), 0);
        // 15 epochs x ceil(20,000 / 128) = 2,355 steps; an update every 2,355 / 20 = 117 (floor)
        assertEquals(2_355, p.size().steps(15));
        assertEquals(117, gmp.frequency());
        assertEquals(0.02, ((GrdaSpec) runs.get(0).method()).c(), 0);
        for (RunConfig r : runs) {
            assertEquals(15, r.epochs(), "the methods train as many epochs as the whole IMP run");
            assertEquals(Path.of("out", "masks", r.optimizer()), r.out());
            assertEquals(20_000, r.trainLimit());
        }
        ImpConfig rewind = p.imp("rewind"), reinit = p.imp("reinit");
        assertEquals(rewind.rule(), reinit.rule());
        assertEquals(rewind.base().toArgs(), reinit.base().toArgs(), "round 0 is the same run in both");
        assertEquals(Path.of("out", "imp-rewind", "round-04"), p.impLastRound("rewind"));
    }

    @Test
    void resnet20PrunesOnlyTheFirstConvOfEveryBlock() {
        // the skip list docs/EXPERIMENTS.md's Rethinking section typed by hand, in network order
        assertEquals(List.of("conv1", "layer1.0.branch.conv2", "layer1.1.branch.conv2", "layer1.2.branch.conv2", "layer2.0.branch.conv2",
                        "layer2.0.shortcut.conv", "layer2.1.branch.conv2", "layer2.2.branch.conv2", "layer3.0.branch.conv2", "layer3.0.shortcut.conv",
                        "layer3.1.branch.conv2", "layer3.2.branch.conv2"),
                PruneRetrainPlan.l1Skip("resnet20", "synth-cifar"));
        RunConfig l1 = plan("resnet20", "small").l1Filter();
        FilterPruningSpec spec = (FilterPruningSpec) l1.method();
        assertEquals(12, spec.skip().size());
        assertEquals(0.5, spec.ratio(), 0);
        assertEquals(2, spec.pruneEpoch());
        assertEquals(4, l1.epochs());
        assertThrows(IllegalStateException.class, () -> plan("lenet300", "small").l1Filter(), "LeNet-300-100 has no conv filters");
    }

    @Test
    void unknownModelsAndSizesAreRefusedNamingTheKnownOnes() {
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> ExperimentSize.of("lenet5", "small"));
        assertTrue(m.getMessage().contains("lenet300 and resnet20"), m.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> ExperimentSize.of("resnet20", "huge"));
        assertTrue(s.getMessage().contains("tiny, small"), s.getMessage());
    }

    @Test
    void anOutOfAnotherExperimentIsNamedByItsFirstDifferingOption(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        PruneRetrainPlan small = new PruneRetrainPlan("lenet300", ExperimentSize.of("lenet300", "small"), 1, "cpu", dir, false);
        assertTrue(ExperimentReport.conflict(small).isEmpty(), "an empty folder holds no other experiment");
        ExperimentReport.started(small, "test");
        assertTrue(ExperimentReport.conflict(small).isEmpty(), "its own experiment.json");
        PruneRetrainPlan tiny = new PruneRetrainPlan("lenet300", ExperimentSize.of("lenet300", "tiny"), 1, "cpu", dir, false);
        assertEquals(java.util.Optional.of(dir + " holds a prune-retrain experiment of other options (--size small there, tiny here)"),
                ExperimentReport.conflict(tiny));
    }
}
