package io.sparsestep.store;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.data.Normalization;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.shrink.HostTensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's graph and tensors as an ONNX model (opset {@value #OPSET}, IR version
 * {@value #IR_VERSION}): input {@code pixels}, float32 {@code [batch, C, H, W]} with the raw
 * pixel values 0..255, normalised inside the graph exactly as the loader does it
 * ({@code (pixels / 255 - mean[c]) / std[c]}, the same float operations in the same order),
 * then one node per op of {@link ModelGraph} (Conv, Gemm, BatchNormalization in inference
 * mode with the running statistics, Relu, MaxPool/AveragePool with
 * {@code count_include_pad = 0}, GlobalAveragePool, Flatten, Add), output {@code logits}
 * {@code [batch, classes]}. Weights are initializers; with {@code sparse} a conv/linear
 * weight that is at most a third non-zero is a {@code sparse_initializer} (float values and
 * int64 linear indices: 12 bytes per non-zero instead of 4 per entry).
 */
public final class OnnxModel {
    public static final int OPSET = 17;
    public static final int IR_VERSION = 8;
    public static final String INPUT = "pixels", OUTPUT = "logits";

    private final ModelGraph graph;
    private final Map<String, HostTensor> tensors;
    private final boolean sparse;
    private final OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder();
    private int sparseInitializers;

    private OnnxModel(ModelGraph graph, Map<String, HostTensor> tensors, boolean sparse) {
        this.graph = graph;
        this.tensors = tensors;
        this.sparse = sparse;
    }

    /** What was built: the serialized model and how many weights went in sparse. */
    public record Built(byte[] bytes, int nodes, int sparseInitializers) {}

    /**
     * The model of {@code graph} (per-sample input [C,H,W]) with {@code tensors} (parameters
     * and running statistics by name, as weights.safetensors holds them) and the input
     * normalisation; {@code metadata} goes into the model's {@code metadata_props}.
     */
    public static Built build(ModelGraph graph, Map<String, HostTensor> tensors, Normalization norm, boolean sparse, String name,
                              Map<String, String> metadata) {
        OnnxModel m = new OnnxModel(graph, tensors, sparse);
        m.g.setName(name);
        int[] in = graph.shape(graph.inputValue());
        if (in.length != 3 || in[0] != norm.channels()) {
            throw new IllegalArgumentException("the model reads " + Arrays.toString(in) + " images but the normalisation has "
                    + norm.channels() + " channels");
        }
        m.g.addInput(valueInfo(INPUT, in));
        m.normalise(norm, value(graph.inputValue()));
        for (ModelGraph.Op op : graph.ops()) m.node(op);
        int classes = graph.shape(graph.outputValue())[0];
        m.g.addNode(node("Identity", "output", new String[] {value(graph.outputValue())}, OUTPUT));
        m.g.addOutput(valueInfo(OUTPUT, new int[] {classes}));
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("sparsestep")
                .setDocString("sparsestep export: input 'pixels' float32 [batch, C, H, W] with raw pixel values 0..255 (normalised in the graph); "
                        + "output 'logits' [batch, classes]")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).setGraph(m.g);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("normalization_mean", Arrays.toString(norm.mean()));
        meta.put("normalization_std", Arrays.toString(norm.std()));
        meta.forEach((k, v) -> model.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        OnnxMl.ModelProto proto = model.build();
        return new Built(proto.toByteArray(), proto.getGraph().getNodeCount(), m.sparseInitializers);
    }

    private static String value(int id) { return "v" + id; }

    private void normalise(Normalization norm, String out) {
        int c = norm.channels();
        g.addInitializer(dense("norm.scale", new int[0], new float[] {255f}));
        g.addInitializer(dense("norm.mean", new int[] {1, c, 1, 1}, norm.mean()));
        g.addInitializer(dense("norm.std", new int[] {1, c, 1, 1}, norm.std()));
        g.addNode(node("Div", "norm.div", new String[] {INPUT, "norm.scale"}, "norm.unit"));
        g.addNode(node("Sub", "norm.sub", new String[] {"norm.unit", "norm.mean"}, "norm.centred"));
        g.addNode(node("Div", "norm.std_div", new String[] {"norm.centred", "norm.std"}, out));
    }

    private void node(ModelGraph.Op op) {
        switch (op) {
            case ModelGraph.Conv c -> {
                String[] inputs = weights(c.name(), c.bias(), value(c.input()));
                g.addNode(node("Conv", c.name(), inputs, value(c.output()))
                        .addAttribute(ints("kernel_shape", c.kernel(), c.kernel()))
                        .addAttribute(ints("strides", c.stride(), c.stride()))
                        .addAttribute(ints("pads", c.padding(), c.padding(), c.padding(), c.padding())));
            }
            case ModelGraph.Dense d -> {
                String x = value(d.input());
                if (graph.shape(d.input()).length != 1) {
                    // a linear layer reads its input flattened, channel-major (what Flatten with axis 1 gives)
                    g.addNode(node("Flatten", d.name() + ".flatten", new String[] {x}, d.name() + ".flat").addAttribute(intAttr("axis", 1)));
                    x = d.name() + ".flat";
                }
                g.addNode(node("Gemm", d.name(), weights(d.name(), d.bias(), x), value(d.output())).addAttribute(intAttr("transB", 1)));
            }
            case ModelGraph.Norm n -> {
                for (String t : new String[] {"weight", "bias", "running_mean", "running_var"}) g.addInitializer(dense(n.name() + "." + t));
                g.addNode(node("BatchNormalization", n.name(), new String[] {value(n.input()), n.name() + ".weight", n.name() + ".bias",
                        n.name() + ".running_mean", n.name() + ".running_var"}, value(n.output()))
                        .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("epsilon").setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(n.eps())));
            }
            case ModelGraph.Relu r -> g.addNode(node("Relu", "relu" + r.output(), new String[] {value(r.input())}, value(r.output())));
            case ModelGraph.Pool p -> pool(p);
            case ModelGraph.Flatten f -> g.addNode(node("Flatten", "flatten" + f.output(), new String[] {value(f.input())}, value(f.output()))
                    .addAttribute(intAttr("axis", 1)));
            case ModelGraph.Add a -> g.addNode(node("Add", a.name() + ".add", new String[] {value(a.branch()), value(a.shortcut())}, value(a.output())));
        }
    }

    private void pool(ModelGraph.Pool p) {
        String in = value(p.input()), out = value(p.output());
        if (p.global()) {
            g.addNode(node(p.mode() == PoolMode.MAX ? "GlobalMaxPool" : "GlobalAveragePool", "pool" + p.output(), new String[] {in}, out));
            return;
        }
        OnnxMl.NodeProto.Builder n = node(p.mode() == PoolMode.MAX ? "MaxPool" : "AveragePool", "pool" + p.output(), new String[] {in}, out)
                .addAttribute(ints("kernel_shape", p.window(), p.window()))
                .addAttribute(ints("strides", p.stride(), p.stride()))
                .addAttribute(ints("pads", p.padding(), p.padding(), p.padding(), p.padding()));
        // sparsestep's average counts only in-bounds elements
        if (p.mode() != PoolMode.MAX) n.addAttribute(intAttr("count_include_pad", 0));
        g.addNode(n);
    }

    /** The layer's weight (and bias) as initializers; the node's inputs. */
    private String[] weights(String layer, boolean bias, String x) {
        String w = layer + ".weight";
        HostTensor t = required(w);
        if (sparse && nonZeros(t.values()) * 3L <= t.values().length) {
            g.addSparseInitializer(sparse(w, t));
            sparseInitializers++;
        } else {
            g.addInitializer(dense(w));
        }
        if (!bias) return new String[] {x, w};
        g.addInitializer(dense(layer + ".bias"));
        return new String[] {x, w, layer + ".bias"};
    }

    private HostTensor required(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' for the ONNX graph");
        return t;
    }

    private OnnxMl.TensorProto dense(String name) {
        HostTensor t = required(name);
        return dense(name, t.shape(), t.values());
    }

    private static OnnxMl.TensorProto dense(String name, int[] shape, float[] values) {
        OnnxMl.TensorProto.Builder b = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (int d : shape) b.addDims(d);
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return b.setRawData(ByteString.copyFrom(raw.array())).build();
    }

    private static OnnxMl.SparseTensorProto sparse(String name, HostTensor t) {
        float[] v = t.values();
        int nnz = nonZeros(v);
        float[] values = new float[nnz];
        ByteBuffer idx = ByteBuffer.allocate(8 * nnz).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0, k = 0; i < v.length; i++) {
            if (v[i] == 0f) continue;
            values[k++] = v[i];
            idx.putLong(i);
        }
        OnnxMl.TensorProto indices = OnnxMl.TensorProto.newBuilder().setName(name + ".indices").setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber())
                .addDims(nnz).setRawData(ByteString.copyFrom(idx.array())).build();
        OnnxMl.SparseTensorProto.Builder b = OnnxMl.SparseTensorProto.newBuilder().setValues(dense(name, new int[] {nnz}, values)).setIndices(indices);
        for (int d : t.shape()) b.addDims(d);
        return b.build();
    }

    /** Entries that are not +0 or -0 (both are zeros of the mask). */
    static int nonZeros(float[] v) {
        int n = 0;
        for (float x : v) if (x != 0f) n++;
        return n;
    }

    private static OnnxMl.NodeProto.Builder node(String op, String name, String[] inputs, String output) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) n.addInput(i);
        return n;
    }

    private static OnnxMl.AttributeProto ints(String name, int... values) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (int v : values) a.addInts(v);
        return a.build();
    }

    private static OnnxMl.AttributeProto intAttr(String name, int value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int[] perSample) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (int d : perSample) shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder().setTensorType(
                OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)).build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }
}
