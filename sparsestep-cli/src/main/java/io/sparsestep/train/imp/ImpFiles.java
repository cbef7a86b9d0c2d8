package io.sparsestep.train.imp;

import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.RunMask;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The files an IMP run keeps beside each round's train outputs, all weights files
 * (weights.safetensors's names and format): round 0's initial weights and its rewind point,
 * a round's fresh initialisation under {@code --reset reinit}, and each later round's start
 * (its reset weights with the pruned ones at 0, and its mask as {@code mask.prune.*}).
 */
public final class ImpFiles {
    /** Round 0's weights before its first step (in round-00). */
    public static final String INIT = "init.safetensors";
    /** Round 0's weights after K steps, for {@code --reset rewind-to K} (in round-00). */
    public static final String REWIND = "rewind.safetensors";
    /** The round's fresh initialisation, for {@code --reset reinit}. */
    public static final String REINIT = "reinit.safetensors";
    /** What a round after the first starts from: its weights (pruned ones 0) and mask. */
    public static final String START = "start.safetensors";
    /** Every file of these names (an atomic write a kill cut short leaves a temp file of its name). */
    public static final List<String> ALL = List.of(INIT, REWIND, REINIT, START);

    private ImpFiles() {}

    /** Sets {@code mask} to the {@code mask.prune.*} tensors of {@code file} (a round's weights or start file). */
    public static void loadMask(Path file, Mask mask) {
        RunMask read = RunMask.read(file);
        if (read.source() != io.sparsestep.train.SparsityReport.Source.MASK) {
            throw new IllegalArgumentException(file + ": holds no mask.prune.* tensors; delete its round folder to train that round again");
        }
        Map<String, LayerMask> byName = read.layers().stream().collect(Collectors.toMap(LayerMask::parameter, Function.identity()));
        byte[] bytes = new byte[Math.toIntExact(mask.size())];
        long start = mask.space().layout().group(ParamGroup.WEIGHTS).offset();
        for (ParamEntry e : mask.space().layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            LayerMask layer = byName.get(e.name());
            if (layer == null || layer.size() != e.size()) {
                throw new IllegalArgumentException(file + ": no mask of " + e.size() + " entries for " + e.name() + "; is it a file of another model?");
            }
            BitSet kept = layer.kept();
            int base = Math.toIntExact(e.offset() - start);
            for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) bytes[base + i] = 1;
        }
        mask.fromHost(bytes);
    }
}
