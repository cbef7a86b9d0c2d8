package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * A classifier graph bound to its flat memory: a root layer producing [classes] logits,
 * softmax cross-entropy on top, and the input/label regions a batch is uploaded into.
 * After {@link #build} nothing else is allocated: a training step only runs ops on views.
 */
public final class Network implements AutoCloseable {
    private final String modelId;
    private final Layer root;
    private final int[] inputShape;
    private final int classes;
    private final int maxBatch;
    private final FlatMemory memory;
    private final Slot input, labels, dlogits, lossResult;
    private final Arena hostArena = Arena.ofShared();
    private final MemorySegment hostResult;

    private Network(String modelId, Layer root, int[] inputShape, int classes, int maxBatch, Planner plan,
                    Slot input, Slot labels, Slot dlogits, Slot lossResult, long seed) {
        this.modelId = modelId;
        this.root = root;
        this.inputShape = inputShape.clone();
        this.classes = classes;
        this.maxBatch = maxBatch;
        this.input = input;
        this.labels = labels;
        this.dlogits = dlogits;
        this.lossResult = lossResult;
        this.memory = new FlatMemory(plan, seed);
        this.hostResult = hostArena.allocate(8, 8);
    }

    /**
     * Plans and allocates {@code root} for inputs of per-sample shape {@code inputShape}
     * ([C,H,W]) and batches of up to {@code maxBatch}; parameters are drawn from {@code seed}.
     * {@code otherBatchSizes} (e.g. the smaller last batch of each split) are prepared after
     * planning and before anything is allocated: on a GPU that is when cudnnFind, which
     * allocates its own trial buffers, has the most memory to measure with.
     */
    public static Network build(String modelId, Backend backend, Layer root, int[] inputShape, int classes,
                                int maxBatch, long seed, int... otherBatchSizes) {
        return build(modelId, new Planner(backend, maxBatch), root, inputShape, classes, seed, otherBatchSizes);
    }

    /** {@link #build} with every ReLU planned as its own op (no fusion): the reference the fusion tests compare with. */
    static Network buildUnfused(String modelId, Backend backend, Layer root, int[] inputShape, int classes, int maxBatch, long seed) {
        return build(modelId, new Planner(backend, maxBatch, false), root, inputShape, classes, seed);
    }

    private static Network build(String modelId, Planner plan, Layer root, int[] inputShape, int classes, long seed,
                                 int... otherBatchSizes) {
        int maxBatch = plan.maxBatch();
        if (maxBatch <= 0) throw new IllegalArgumentException("batch size must be positive, got " + maxBatch);
        Slot input = plan.activation(inputShape);
        Slot labels = plan.activation();
        root.setNeedInputGrad(false);
        int[] out = root.plan(inputShape, plan);
        if (out.length != 1 || out[0] != classes) {
            throw new IllegalArgumentException(modelId + ": output shape " + Arrays.toString(out) + " is not [" + classes + "]");
        }
        Slot dlogits = plan.activation(classes);
        Slot result = plan.buffer(2);
        prepare(root, maxBatch, otherBatchSizes);
        return new Network(modelId, root, inputShape, classes, maxBatch, plan, input, labels, dlogits, result, seed);
    }

    public String modelId() { return modelId; }
    public Backend backend() { return memory.backend(); }
    public FlatMemory memory() { return memory; }
    /** The trainable parameters, their gradients and layout: what an optimizer is built on. */
    public ParamSpace paramSpace() { return memory.paramSpace(); }
    public int[] inputShape() { return inputShape.clone(); }
    public int classes() { return classes; }
    public int maxBatch() { return maxBatch; }
    public Layer root() { return root; }
    public List<Param> params() { return memory.paramList(); }
    public long parameterCount() { return memory.parameterCount(); }

    /** Prepares every layer for these batch sizes (e.g. the last, smaller batch of each split). */
    public void prepareBatchSizes(int... sizes) {
        prepare(root, maxBatch, sizes);
    }

    private static void prepare(Layer root, int maxBatch, int... sizes) {
        for (int n : sizes) {
            if (n <= 0 || n > maxBatch) throw new IllegalArgumentException("batch size " + n + " outside 1.." + maxBatch);
            if (n != maxBatch) visit(root, n);
        }
    }

    /** Whether every layer can take a training step on a batch of {@code n} (batch norm needs two values per channel). */
    public boolean trainsBatchOf(int n) {
        return trainsBatchOf(root, n);
    }

    private static boolean trainsBatchOf(Layer layer, int n) {
        if (!layer.trainsBatchOf(n)) return false;
        for (Layer child : layer.children()) if (!trainsBatchOf(child, n)) return false;
        return true;
    }

    private static void visit(Layer layer, int n) {
        layer.prepareBatch(n);
        for (Layer child : layer.children()) visit(child, n);
    }

    /** Where a batch of {@code n} images goes ([n,C,H,W]). */
    public Tensor input(int n) { return input.rows(n); }

    /** Where the batch's labels go (float class indices, [n]). */
    public Tensor labels(int n) { return labels.rows(n); }

    /** Forward pass over the uploaded batch; returns the logits view [n, classes]. */
    public Tensor forward(int n, boolean training) {
        return root.forward(input.rows(n), training);
    }

    /**
     * Forward, loss (mean over the batch) and backward: every parameter gradient is
     * written. Returns nothing; {@link #readLossAndCorrect} fetches the loss when wanted.
     */
    public void trainStep(int n) {
        Tensor logits = forward(n, true);
        memory.backend().loss().softmaxCrossEntropy(logits, labels.rows(n), n, classes, dlogits.rows(n), 1f / n, lossResult.get());
        root.backward(dlogits.rows(n));
    }

    /** Forward in evaluation mode and the loss/accuracy sums of the uploaded batch. */
    public void evalStep(int n) {
        Tensor logits = forward(n, false);
        memory.backend().loss().softmaxCrossEntropy(logits, labels.rows(n), n, classes, null, 0f, lossResult.get());
    }

    /** {summed loss, number correct} of the last train or eval step; waits for the backend. */
    public float[] readLossAndCorrect(float[] into) {
        memory.backend().download(lossResult.get(), hostResult);
        into[0] = hostResult.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
        into[1] = hostResult.getAtIndex(ValueLayout.JAVA_FLOAT, 1);
        return into;
    }

    /** Every parameter and running statistic, in declaration order, copied to the host. */
    public MemorySegment downloadAll(Buffer buffer, Arena arena) {
        MemorySegment host = arena.allocate(4 * buffer.words(), 64);
        memory.backend().download(new Tensor(buffer, 0, Math.toIntExact(buffer.words())), host);
        return host;
    }

    @Override
    public void close() {
        memory.close();
        hostArena.close();
    }
}
