package io.sparsestep.dl4j;

import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Connects sparsestep's DL4J updaters to a network. DL4J hands an updater only the
 * gradient of its block; gRDA writes the weights from its accumulator, so
 * {@link GrdaUpdater} needs the parameter views too: {@code attach} walks the network's
 * updater blocks (DL4J's own grouping of neighbouring variables with equal updaters) and
 * gives each gRDA block its variables: their parameter views, where they lie in the block and
 * whether each is a prunable weight ({@link ParamRoles}). Call it after {@code net.init()},
 * and again on a network restored by {@code ModelSerializer} (a new network has a new
 * updater); a gRDA step without it fails with a line naming this call. Attaching twice is
 * harmless. {@link FusedSgdUpdater} needs no attach, but its steps are counted here too.
 *
 * <pre>{@code
 * MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
 *         .updater(GrdaUpdater.builder().learningRate(0.1).c(0.02).mu(0.6).build())
 *         .list()
 *         .layer(new DenseLayer.Builder().nIn(784).nOut(300).activation(Activation.RELU).build())
 *         .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(300).nOut(10).activation(Activation.SOFTMAX).build())
 *         .build());
 * net.init();
 * Attachment grda = SparsestepUpdaters.attach(net);
 * net.fit(trainIterator, epochs);
 * grda.overallSparsity();
 * }</pre>
 */
public final class SparsestepUpdaters {
    private SparsestepUpdaters() {}

    /** Attaches a MultiLayerNetwork's gRDA blocks; variables are named as {@code net.paramTable()} names them ({@code 0_W}). */
    public static Attachment attach(MultiLayerNetwork net) {
        requireInitialised(net.params() != null, "MultiLayerNetwork", "net.init()");
        requireFloat(net.params().dataType());
        return attach((BaseMultiLayerUpdater<?>) net.getUpdater(),
                (layer, key) -> ((org.deeplearning4j.nn.api.Layer) layer).getIndex() + "_" + key);
    }

    /** Attaches a ComputationGraph's gRDA blocks; variables are named as {@code graph.paramTable()} names them ({@code layerName_W}). */
    public static Attachment attach(ComputationGraph graph) {
        requireInitialised(graph.params() != null, "ComputationGraph", "graph.init()");
        requireFloat(graph.params().dataType());
        return attach(graph.getUpdater(), (layer, key) -> layer.getConfig().getLayerName() + "_" + key);
    }

    private static Attachment attach(BaseMultiLayerUpdater<?> updater, BiFunction<Trainable, String, String> naming) {
        List<ParamRange> all = new ArrayList<>();
        List<ViewStateUpdater<?>> ours = new ArrayList<>();
        int grdaBlocks = 0;
        for (UpdaterBlock block : updater.getUpdaterBlocks()) {
            List<ParamRange> ranges = new ArrayList<>();
            for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
                long length = p.getParamOffsetEnd() - p.getParamOffsetStart();
                if (length == 0) continue; // DL4J gives a variable of no parameters no views
                ranges.add(new ParamRange(naming.apply(p.getLayer(), p.getParamName()), ParamRoles.prunable(p.getLayer(), p.getParamName()),
                        p.getParamOffsetStart() - block.getParamOffsetStart(), length, p.getParamView()));
            }
            all.addAll(ranges);
            GradientUpdater<?> u = block.getGradientUpdater();
            if (u instanceof ViewStateUpdater<?> v) ours.add(v);
            if (u instanceof GrdaGradientUpdater grda) {
                for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) refuseDecayAfterTheUpdater(p);
                grda.attach(ranges);
                grdaBlocks++;
            }
        }
        return new Attachment(all, grdaBlocks, ours);
    }

    /**
     * DL4J's {@code WeightDecay} (and any other regularization applied after the updater) adds
     * to the update once gRDA has written it, which would move the weights off
     * {@code S_tau(acc)} and their zeros off zero: refused. L1/L2 ({@code .l1}, {@code .l2}) act
     * on the gradient before the updater and are fine: gRDA then sees the regularised loss's gradient.
     */
    private static void refuseDecayAfterTheUpdater(UpdaterBlock.ParamState p) {
        List<Regularization> regs = p.getLayer().getConfig().getRegularizationByParam(p.getParamName());
        if (regs == null) return;
        for (Regularization r : regs) {
            if (r.applyStep() == Regularization.ApplyStep.POST_UPDATER) {
                throw new IllegalArgumentException("layer " + p.getLayer().getConfig().getLayerName() + " applies " + r.getClass().getSimpleName()
                        + " to " + p.getParamName() + " after the updater, which would move gRDA's weights off S(acc);"
                        + " drop it (.weightDecay(0)) or use .l2(...), which acts on the gradient before the updater");
            }
        }
    }

    private static void requireInitialised(boolean initialised, String what, String call) {
        if (!initialised) throw new IllegalStateException("the " + what + " has no parameters yet; call " + call + " before attach");
    }

    private static void requireFloat(DataType type) {
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("the network's parameters are " + type
                    + "; sparsestep's steps take float32: build it with .dataType(DataType.FLOAT) (DL4J's default)");
        }
    }
}
