package io.sparsestep.shrink;

import io.sparsestep.nn.ModelGraph;

import java.util.ArrayList;
import java.util.List;

/**
 * Which tensors of a graph share a channel index. A conv or linear layer starts a new
 * channel space at its output; batch norm, ReLU, pooling and flatten keep their input's;
 * a residual sum ties its two inputs into one space (through identity shortcuts, a whole
 * stage's block outputs and the tensor before the stage). Removing channel c of a space
 * removes it from every tensor in it: filter c of each producer, channel c of each batch
 * norm on it, input channel c of each consumer. The input's and the logits' spaces are
 * never removed from.
 */
final class ChannelSpaces {
    final ModelGraph graph;
    /** Per value: its space, its channel count C and positions per channel P (H*W; 1 for features). */
    private final int[] space, channels, positions;
    private final int spaceCount;
    private final List<List<ModelGraph.Weighted>> producers = new ArrayList<>(), consumers = new ArrayList<>();
    private final List<List<ModelGraph.Norm>> norms = new ArrayList<>();

    private ChannelSpaces(ModelGraph g) {
        graph = g;
        int n = g.valueCount();
        space = new int[n];
        channels = new int[n];
        positions = new int[n];
        List<Integer> parent = new ArrayList<>();
        start(g.inputValue(), g.shape(g.inputValue())[0], parent);
        for (ModelGraph.Op op : g.ops()) {
            switch (op) {
                case ModelGraph.Weighted w -> start(w.output(), w.outWidth(), parent);
                case ModelGraph.Norm x -> keep(x.input(), x.output());
                case ModelGraph.Relu x -> keep(x.input(), x.output());
                case ModelGraph.Pool x -> keep(x.input(), x.output());
                case ModelGraph.Flatten x -> keep(x.input(), x.output());
                case ModelGraph.Add a -> {
                    parent.set(find(parent, space[a.shortcut()]), find(parent, space[a.branch()]));
                    keep(a.branch(), a.output());
                }
            }
        }
        // number the union-find roots 0..k-1
        int[] number = new int[parent.size()];
        java.util.Arrays.fill(number, -1);
        int next = 0;
        for (int v = 0; v < n; v++) {
            int root = find(parent, space[v]);
            if (number[root] < 0) number[root] = next++;
            space[v] = number[root];
        }
        spaceCount = next;
        for (int s = 0; s < spaceCount; s++) {
            producers.add(new ArrayList<>());
            consumers.add(new ArrayList<>());
            norms.add(new ArrayList<>());
        }
        for (ModelGraph.Op op : g.ops()) {
            if (op instanceof ModelGraph.Weighted w) {
                producers.get(space[w.output()]).add(w);
                consumers.get(space[w.input()]).add(w);
            } else if (op instanceof ModelGraph.Norm x) {
                norms.get(space[x.input()]).add(x);
            }
        }
    }

    static ChannelSpaces of(ModelGraph g) { return new ChannelSpaces(g); }

    private void start(int value, int width, List<Integer> parent) {
        parent.add(parent.size());
        space[value] = parent.size() - 1;
        channels[value] = width;
        positions[value] = Math.toIntExact(volume(graph.shape(value)) / width);
    }

    private void keep(int from, int to) {
        space[to] = space[from];
        channels[to] = channels[from];
        positions[to] = Math.toIntExact(volume(graph.shape(to)) / channels[from]);
    }

    private static int find(List<Integer> parent, int s) {
        while (parent.get(s) != s) s = parent.get(s);
        return s;
    }

    private static long volume(int[] shape) {
        long v = 1;
        for (int d : shape) v *= d;
        return v;
    }

    int count() { return spaceCount; }
    int spaceOf(int value) { return space[value]; }
    int channelsOf(int value) { return channels[value]; }
    int positionsOf(int value) { return positions[value]; }

    /** Channel count of space {@code s}. */
    int width(int s) {
        for (int v = 0; v < space.length; v++) if (space[v] == s) return channels[v];
        throw new IllegalArgumentException("no space " + s);
    }

    List<ModelGraph.Weighted> producers(int s) { return producers.get(s); }
    List<ModelGraph.Weighted> consumers(int s) { return consumers.get(s); }
    List<ModelGraph.Norm> norms(int s) { return norms.get(s); }

    /**
     * The weights one input channel has in one row (output filter) of {@code q}: a conv's
     * kernel taps, a linear layer's flattened positions of that channel.
     */
    int span(ModelGraph.Weighted q) {
        return q instanceof ModelGraph.Conv c ? c.kernel() * c.kernel() : positionsOf(q.input());
    }

    /** Whether channels may leave space {@code s}: not the input's, not the logits'. */
    boolean removable(int s) {
        return s != space[graph.inputValue()] && s != space[graph.outputValue()];
    }
}
