package io.sparsestep.dl4j;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helpers over DL4J's flat arrays: copies as float[], raw bits, native copies, the layout of the parameters. */
final class Flat {
    private Flat() {}

    /** One variable in the flat parameter array, from DL4J's {@code paramTable()} (flat order): prunable are the W keys. */
    record Variable(String name, int start, int length, boolean prunable) {}

    static List<Variable> layout(MultiLayerNetwork net) {
        List<Variable> out = new ArrayList<>();
        int at = 0;
        for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
            int length = (int) e.getValue().length();
            out.add(new Variable(e.getKey(), at, length, e.getKey().endsWith("_W")));
            at += length;
        }
        return out;
    }

    static float[] floats(INDArray a) { return a.dup('c').data().asFloat(); }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }

    static int[] bits(INDArray a) { return bits(floats(a)); }

    static MemorySegment copy(Arena arena, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    static MemorySegment slice(MemorySegment s, Variable v) {
        return s.asSlice((long) v.start() * Float.BYTES, (long) v.length() * Float.BYTES);
    }

    /** The updater blocks of a network, DL4J's grouping of neighbouring variables with equal updaters. */
    static List<UpdaterBlock> blocks(MultiLayerNetwork net) {
        return ((BaseMultiLayerUpdater<?>) net.getUpdater()).getUpdaterBlocks();
    }

    /** The floats of a block's state view, after the header. */
    static float[] stateAfterHeader(UpdaterBlock block, long length) {
        float[] state = floats(block.getUpdaterView());
        float[] out = new float[(int) length];
        System.arraycopy(state, StateHeader.FLOATS, out, 0, out.length);
        return out;
    }
}
