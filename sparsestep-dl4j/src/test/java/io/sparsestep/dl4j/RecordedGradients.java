package io.sparsestep.dl4j;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.util.ArrayList;
import java.util.List;

/**
 * The flat gradient of every iteration as DL4J's backward pass leaves it, before the updater
 * (a copy taken in {@code onGradientCalculation}). DL4J then divides it by the minibatch size
 * in float32 and hands each updater block its range: {@link #update} does the same, so a
 * reference step sees exactly the numbers the updater saw.
 */
final class RecordedGradients extends BaseTrainingListener {
    private final List<float[]> gradients = new ArrayList<>();

    @Override
    public void onGradientCalculation(Model model) {
        gradients.add(model.gradient().gradient().dup('c').data().asFloat());
    }

    List<float[]> all() { return gradients; }

    /** Iteration {@code k}'s gradient divided by the batch size, as DL4J's updater receives it. */
    float[] update(int k, int batchSize) {
        float[] g = gradients.get(k).clone();
        for (int i = 0; i < g.length; i++) g[i] = g[i] / batchSize;
        return g;
    }
}
