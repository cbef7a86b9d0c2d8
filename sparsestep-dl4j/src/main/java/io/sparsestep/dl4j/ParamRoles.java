package io.sparsestep.dl4j;

import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;

/**
 * Which DL4J parameters are prunable weights, learned from the layer's configuration:
 * DL4J's updater blocks hold a layer and a parameter key for each variable, and the layer's
 * {@code ParamInitializer} says whether a key is a weight ({@code isWeightParam}: W of dense,
 * output and convolution layers, recurrent weights, embeddings). Not pruned: biases, batch
 * norm (its initializer calls none of gamma, beta, mean, var a weight), layer norm's gain
 * (which {@code DefaultParamInitializer} does count as a weight: it is a norm parameter, as
 * in sparsestep's bias-and-norm group), and any variable of a vertex that is no layer.
 */
final class ParamRoles {
    private ParamRoles() {}

    static boolean prunable(Trainable layer, String key) {
        TrainingConfig config = layer.getConfig();
        if (!(config instanceof Layer conf)) return false;
        if (!conf.initializer().isWeightParam(conf, key)) return false;
        return !(conf.initializer() instanceof DefaultParamInitializer && DefaultParamInitializer.GAIN_KEY.equals(key));
    }
}
