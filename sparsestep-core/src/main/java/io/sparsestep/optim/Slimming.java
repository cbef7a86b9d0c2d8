package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Network slimming's optimizer ({@link SlimmingSpec}). Batch-norm layers are found in the
 * layout as the {@code <name>.weight} / {@code <name>.bias} pairs of the bias-and-norm group
 * whose shape is [C]; the conv layer feeding one is the sibling whose name has "conv" where
 * the batch norm's last path element has "bn" (conv1/bn1, shortcut.conv/shortcut.bn) and C
 * output filters. Before the prune each step first adds {@code s*sign(gamma)} to the scales'
 * gradient ({@code VectorOps.addScaledSign}, one pass per layer); the prune computes the
 * global threshold on the host from one download of the scales; afterwards a u8 channel mask
 * per layer holds gamma and beta at +0.0 after every step ({@code MaskOps.apply}), and the
 * feeding filters are masked in the weights' mask.
 */
public final class Slimming implements Optimizer {
    /** One batch norm: its scale and shift views (values, gradients), its feeding conv (or null), its channel mask. */
    private record Norm(String name, Tensor gamma, Tensor gammaGrad, Tensor beta, PrunableTensors.Layer conv, Tensor channels) {}

    private final Backend be;
    private final ParamSpace space;
    private final SlimmingSpec spec;
    private final int pruneAfter;
    private final MaskedMomentum sgd;
    private final List<Norm> norms = new ArrayList<>();
    private final Buffer channelBytes;
    private final int totalChannels;
    private boolean pruned;
    /** After a restore: the channel masks are rebuilt from the restored scales before the next step. */
    private boolean channelsStale;

    Slimming(ParamSpace space, SlimmingSpec spec, int pruneAfter) {
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.pruneAfter = pruneAfter;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "slimming");
        Map<String, PrunableTensors.Layer> convs = new LinkedHashMap<>();
        for (PrunableTensors.Layer l : sgd.prunable().layers()) convs.put(l.entry().name(), l);
        List<ParamEntry[]> found = new ArrayList<>();
        int channels = 0;
        for (ParamEntry e : space.layout().entries()) {
            if (e.group() != ParamGroup.BIAS_AND_NORM || !e.name().endsWith(".weight") || e.shape().length != 1) continue;
            String base = e.name().substring(0, e.name().length() - ".weight".length());
            var beta = space.layout().entry(base + ".bias");
            if (beta.isEmpty() || !Arrays.equals(beta.get().shape(), e.shape())) continue;
            found.add(new ParamEntry[]{e, beta.get()});
            channels += e.shape()[0];
        }
        if (found.isEmpty()) {
            sgd.close();
            throw new IllegalArgumentException("network slimming prunes batch-norm channels; this model has no batch norm (try l1-filter or gmp)");
        }
        this.totalChannels = channels;
        try {
            this.channelBytes = be.allocate(DType.U8.wordsFor(channels), "slimming.channels");
        } catch (RuntimeException e) {
            sgd.close();
            throw e;
        }
        int at = 0;
        for (ParamEntry[] p : found) {
            String base = p[0].name().substring(0, p[0].name().length() - ".weight".length());
            int c = p[0].shape()[0];
            PrunableTensors.Layer conv = convs.get(feedingConv(base) + ".weight");
            if (conv != null && conv.entry().shape()[0] != c) conv = null;
            norms.add(new Norm(base, space.values().of(p[0]), space.grads().of(p[0]), space.values().of(p[1]), conv,
                    new Tensor(channelBytes, DType.U8, at, c)));
            at += c;
        }
    }

    /** conv1 for bn1, a.b.conv for a.b.bn: the conv layer a batch norm normalises, by the models' naming. */
    static String feedingConv(String norm) {
        int dot = norm.lastIndexOf('.');
        String last = norm.substring(dot + 1);
        return norm.substring(0, dot + 1) + last.replaceFirst("^bn", "conv");
    }

    @Override
    public void startEpoch(int epoch) {
        if (!pruned && epoch == pruneAfter + 1) prune();
    }

    /** The global threshold over every |gamma|, strict >, one channel per layer at least; masks and zeros. */
    void prune() {
        float[][] gammas = new float[norms.size()][];
        float[] all = new float[totalChannels];
        int at = 0;
        for (int i = 0; i < norms.size(); i++) {
            gammas[i] = download(norms.get(i).gamma());
            for (float g : gammas[i]) all[at++] = Math.abs(g);
        }
        float[] sorted = all.clone();
        Arrays.sort(sorted);
        float thr = sorted[(int) (totalChannels * spec.percent())];
        for (int i = 0; i < norms.size(); i++) {
            Norm n = norms.get(i);
            byte[] keep = new byte[gammas[i].length];
            int best = 0;
            boolean any = false;
            for (int c = 0; c < keep.length; c++) {
                float a = Math.abs(gammas[i][c]);
                if (a > thr) {
                    keep[c] = 1;
                    any = true;
                }
                if (a > Math.abs(gammas[i][best])) best = c;
            }
            if (!any) keep[best] = 1;
            be.upload(MemorySegment.ofArray(keep), n.channels());
        }
        pruned = true;
        applyChannels(true);
    }

    /** Holds pruned channels at zero: gamma and beta, and (after the prune or a restore) the feeding filters' mask. */
    private void applyChannels(boolean filters) {
        for (Norm n : norms) {
            be.masks().apply(n.channels(), n.gamma());
            be.masks().apply(n.channels(), n.beta());
        }
        if (!filters) return;
        for (Norm n : norms) {
            if (n.conv() == null) continue;
            byte[] keep = new byte[Math.toIntExact(n.channels().size())];
            be.download(n.channels(), MemorySegment.ofArray(keep));
            int per = Math.toIntExact(n.conv().size() / keep.length);
            byte[] rows = new byte[Math.toIntExact(n.conv().size())];
            for (int c = 0; c < keep.length; c++) if (keep[c] != 0) Arrays.fill(rows, c * per, (c + 1) * per, (byte) 1);
            be.upload(MemorySegment.ofArray(rows), n.conv().mask());
        }
        sgd.zeroPruned(space);
    }

    /** Rebuilds the channel masks of a restored, pruned run: a channel is pruned where both gamma and beta are exactly 0. */
    private void rebuildChannels() {
        for (Norm n : norms) {
            float[] g = download(n.gamma()), b = download(n.beta());
            byte[] keep = new byte[g.length];
            for (int c = 0; c < g.length; c++) keep[c] = (byte) (g[c] == 0 && b[c] == 0 ? 0 : 1);
            be.upload(MemorySegment.ofArray(keep), n.channels());
        }
        channelsStale = false;
    }

    private float[] download(Tensor t) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * t.size(), 64);
            be.download(t, host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    @Override
    public void step(double lrFactor) {
        if (channelsStale) rebuildChannels();
        if (!pruned && spec.penalty() != 0) {
            for (Norm n : norms) be.vectors().addScaledSign((float) spec.penalty(), n.gamma(), n.gammaGrad());
        }
        sgd.step(lrFactor);
        if (pruned) applyChannels(false);
    }

    /** Channels kept per batch norm (after the prune; all before it). */
    public Map<String, Long> keptChannels() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Norm n : norms) out.put(n.name(), pruned ? be.masks().countKept(n.channels()) : n.channels().size());
        return out;
    }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return "slimming"; }

    @Override
    public long stateBytes() { return sgd.stateBytes() + totalChannels; }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        scalars.put("pruned", pruned ? 1.0 : 0.0);
        return new OptimizerState(sgd.buffers(), sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double p = StateScalars.require(scalars, "pruned", "network slimming");
        if (p != 0 && p != 1) throw new IllegalArgumentException("network slimming state: pruned must be 0 or 1, got " + p);
        sgd.restoreScalars(scalars, "network slimming");
        pruned = p == 1;
        channelsStale = pruned;
    }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("penalty", spec.penalty());
        s.put("percent", spec.percent());
        s.put("prune_after_epoch", pruneAfter);
        s.put("rule", "global: thr = sorted|gamma|[int(total*percent)], keep |gamma| > thr, at least one channel per layer");
        s.put("kept_channels", keptChannels());
        out.put("slimming", s);
        return out;
    }

    @Override
    public void close() {
        channelBytes.close();
        sgd.close();
    }
}
