package io.sparsestep.train.imp;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.ImpPruning;
import io.sparsestep.optim.ImpRule;
import io.sparsestep.params.Mask;
import io.sparsestep.train.WeightsSnapshot;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The start of a round after the first, from the outputs of the round before: its mask is the
 * previous round's narrowed by the rule (scored by the previous round's trained weights, or by
 * the round's random draw), its weights come from the reset's source with the pruned ones set
 * to exactly 0; both go to {@code round-NN/start.safetensors}. The work is done on a network of
 * the model built for one sample (the selection on the backend, as in training).
 */
final class ImpStart {
    private ImpStart() {}

    /** Writes round {@code round}'s start file (and, under {@code --reset reinit}, its fresh initialisation). */
    static void prepare(ImpConfig cfg, int round, TrainTest data, Backend backend) throws IOException {
        Path dir = cfg.roundDir(round), previous = cfg.roundDir(round - 1).resolve(RunMask.WEIGHTS_FILE);
        Files.createDirectories(dir);
        OutputFolder.clearTornWrites(dir, ImpFiles.ALL);
        int[] shape = {data.channels(), data.height(), data.width()};
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("dataset", cfg.base().dataset());
        meta.put("imp_round", Integer.toString(round));
        // reinit: the network is drawn from the round's own seed, and that draw is the round's fresh start
        try (Network net = Network.build(cfg.base().model(), backend, Models.create(cfg.base().architecture(), shape, data.classes()), shape,
                data.classes(), 1, cfg.reinitSeed(round));
             Mask mask = Mask.keepingAll(net.paramSpace(), "imp.mask")) {
            if (cfg.reset().kind() == ImpReset.Kind.REINIT) {
                write(net, cfg, null, dir.resolve(ImpFiles.REINIT), meta,
                        "round " + round + "'s fresh initialisation, seed " + Long.toUnsignedString(cfg.reinitSeed(round)));
            }
            ImpFiles.loadMask(previous, mask);
            if (cfg.rule().criterion() == ImpRule.Criterion.L1) WeightsSnapshot.load(net, previous);
            else ImpPruning.writeRandomScores(net.paramSpace(), cfg.base().seed(), round);
            ImpPruning.apply(net.paramSpace(), mask, cfg.rule());
            WeightsSnapshot.load(net, required(source(cfg, round), cfg));
            mask.applyTo(net.paramSpace().values());
            write(net, cfg, mask, dir.resolve(ImpFiles.START), meta, "round " + round + "'s start: " + cfg.reset() + " weights under its mask");
        }
    }

    /** Where round {@code round}'s weights come from. */
    static Path source(ImpConfig cfg, int round) {
        return switch (cfg.reset().kind()) {
            case REWIND -> cfg.roundDir(0).resolve(ImpFiles.INIT);
            case REWIND_TO -> cfg.roundDir(0).resolve(ImpFiles.REWIND);
            case REINIT -> cfg.roundDir(round).resolve(ImpFiles.REINIT);
            case CONTINUE -> cfg.roundDir(round - 1).resolve(RunMask.WEIGHTS_FILE);
        };
    }

    private static Path required(Path file, ImpConfig cfg) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is missing (--reset " + cfg.reset() + " starts each round from it); delete "
                    + file.getParent() + " to train that round again, or choose another --out");
        }
        return file;
    }

    private static void write(Network net, ImpConfig cfg, Mask mask, Path file, Map<String, String> meta, String what) throws IOException {
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("imp_file", what);
        WeightsSnapshot.write(net, cfg.base().architecture(), mask, file, m);
    }
}
