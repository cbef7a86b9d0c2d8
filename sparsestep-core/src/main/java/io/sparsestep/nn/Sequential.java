package io.sparsestep.nn;

import io.sparsestep.backend.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Layers applied in order; its name prefixes theirs. */
public final class Sequential extends Layer {
    private final List<Layer> layers;

    public Sequential(String name, List<Layer> layers) {
        super(name);
        if (layers.isEmpty()) throw new IllegalArgumentException(name + ": empty Sequential");
        this.layers = List.copyOf(layers);
    }

    public Sequential(String name, Layer... layers) { this(name, List.of(layers)); }

    @Override
    public List<Layer> children() { return layers; }

    @Override
    public int[] plan(int[] in, Planner p) {
        if (!name.isEmpty()) p.push(name);
        layers.getFirst().setNeedInputGrad(needInputGrad);
        planFusion(p);
        int[] shape = in;
        for (Layer l : layers) shape = l.plan(shape, p);
        if (!name.isEmpty()) p.pop();
        return shape;
    }

    /**
     * A batch norm directly followed by a ReLU runs as one op: the batch norm writes
     * max(0, bn(x)) and takes the ReLU's gradient in its backward pass, the ReLU passes
     * both directions through. Decided again at every plan (a layer keeps no old choice).
     */
    private void planFusion(Planner p) {
        boolean afterPair = false;   // whether the layer before this one is a batch norm fused with it
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            boolean pair = p.fuses() && l instanceof BatchNorm2d && i + 1 < layers.size() && layers.get(i + 1) instanceof ReLU;
            if (l instanceof BatchNorm2d bn) bn.fuseRelu(pair);
            if (l instanceof ReLU r) r.setFusedIntoBatchNorm(afterPair);
            afterPair = pair;
        }
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        for (Layer l : layers) x = l.forward(x, training);
        return x;
    }

    @Override
    public Tensor backward(Tensor dy) {
        for (int i = layers.size() - 1; i >= 0; i--) dy = layers.get(i).backward(dy);
        return dy;
    }

    /** A small builder so model definitions read top to bottom. */
    public static final class Builder {
        private final String name;
        private final List<Layer> layers = new ArrayList<>();

        public Builder(String name) { this.name = name; }

        public Builder add(Layer l) {
            layers.add(l);
            return this;
        }

        public Sequential build() { return new Sequential(name, layers); }
    }
}
