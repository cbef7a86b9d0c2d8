package io.sparsestep.testing;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.FusedStepPaths;
import io.sparsestep.optim.Grda;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.Sgd;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * A small model as an embedding framework would hand it over, for the tests that wrap a
 * framework's memory: its tensors, their values and gradients per step (a function of the
 * tensor's name and the step, so any layout of the same tensors gets the same numbers),
 * and the two optimizers, stepped alike on any space.
 */
public final class EmbeddedModel {
    /** What the framework keeps in words no tensor covers (padding, gaps); a step that touches them shows. */
    public static final float GAP = 1234.5f;
    /** Steps per run, with the learning rate halved for the second half. */
    public static final int STEPS = 8;

    private EmbeddedModel() {}

    /** Weights: a group split across the CPU workers, ending in a vector tail; biases and norm: body and tail. */
    public static List<ParamLayout.Declared> tensors() {
        return List.of(
                new ParamLayout.Declared("fc1.weight", new int[]{FusedStepPaths.chunkedSize()}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc1.bias", new int[]{47}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("fc2.weight", new int[]{10, 33}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc2.bias", new int[]{10}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("bn.weight", new int[]{17}, ParamGroup.BIAS_AND_NORM));
    }

    /** The two optimizers, with settings that prune a good share of the weights within {@link #STEPS}. */
    public enum Method {
        GRDA {
            @Override
            public Optimizer build(ParamSpace space) {
                return Grda.builder().lr(0.1).c(0.2).mu(0.6).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(0)).build(space);
            }
        },
        SGD {
            @Override
            public Optimizer build(ParamSpace space) {
                return Sgd.builder().lr(0.05).momentum(0.9).weightDecay(5e-4).nesterov(true).build(space);
            }
        };

        public abstract Optimizer build(ParamSpace space);
    }

    /**
     * A whole parameter-shaped buffer: the initial parameters (step 0) or the gradient of
     * step {@code step}, each tensor's floats at its offset and {@link #GAP} everywhere else.
     */
    public static float[] values(ParamLayout layout, int step) {
        float[] all = new float[Math.toIntExact(layout.words())];
        Arrays.fill(all, GAP);
        for (ParamEntry e : layout.entries()) {
            Random r = new Random(Objects.hash(e.name(), step));
            double scale = step == 0 ? 0.1 : 0.3;
            for (long i = 0; i < e.size(); i++) all[Math.toIntExact(e.offset() + i)] = (float) (scale * r.nextGaussian());
        }
        return all;
    }

    /** Each tensor's floats of a whole buffer, by name. */
    public static Map<String, float[]> byName(ParamLayout layout, float[] all) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (ParamEntry e : layout.entries()) {
            out.put(e.name(), Arrays.copyOfRange(all, Math.toIntExact(e.offset()), Math.toIntExact(e.offset() + e.size())));
        }
        return out;
    }

    /** {@link #STEPS} steps: before step s, {@code writeGradient.accept(s)} puts its gradient where the optimizer reads it. */
    public static void steps(Optimizer optimizer, IntConsumer writeGradient) {
        for (int s = 1; s <= STEPS; s++) {
            writeGradient.accept(s);
            optimizer.step(s <= STEPS / 2 ? 1.0 : 0.5);
        }
    }

    /** The parameters after {@link #steps} on a space this library allocated: what every wrapped run must equal. */
    public static float[] reference(Backend backend, ParamLayout layout, Method method) {
        try (ParamSpace space = ParamSpace.allocate(backend, layout)) {
            space.values().fromHost(values(layout, 0));
            try (Optimizer optimizer = method.build(space)) {
                steps(optimizer, s -> space.grads().fromHost(values(layout, s)));
            }
            return space.values().toHost();
        }
    }
}
