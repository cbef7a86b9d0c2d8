package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * out = [relu](branch(x) + shortcut(x)), where the shortcut is the identity or a
 * projection (a 1x1 strided convolution, usually with batch norm). ResNet's basic block
 * applies the ReLU after the sum; a pre-activation (WRN) block does not.
 */
public final class Residual extends Layer {
    private final Layer branch;
    private final Layer shortcut; // null: identity
    private final boolean reluAfter;
    private Backend be;
    private Slot sum, activated, dSum, dxSlot;
    /** The ReLU after the sum is applied in the sum's pass ({@link Planner#fuses()}): no separate sum slot. */
    private boolean fused;

    public Residual(String name, Layer branch, Layer shortcut, boolean reluAfter) {
        super(name);
        this.branch = branch;
        this.shortcut = shortcut;
        this.reluAfter = reluAfter;
    }

    Layer branch() { return branch; }
    /** The projection, or null for the identity. */
    Layer shortcut() { return shortcut; }
    boolean reluAfter() { return reluAfter; }

    @Override
    public List<Layer> children() {
        List<Layer> c = new ArrayList<>();
        c.add(branch);
        if (shortcut != null) c.add(shortcut);
        return c;
    }

    @Override
    public int[] plan(int[] in, Planner p) {
        be = p.backend();
        p.push(name);
        int[] outB = branch.plan(in, p);
        int[] outS = shortcut == null ? in : shortcut.plan(in, p);
        p.pop();
        if (!java.util.Arrays.equals(outB, outS)) {
            throw new IllegalArgumentException(name + ": branch output " + java.util.Arrays.toString(outB)
                    + " does not match shortcut output " + java.util.Arrays.toString(outS) + " (add a projection)");
        }
        fused = reluAfter && p.fuses();
        if (!fused) sum = p.activation(outB);
        if (reluAfter) {
            activated = p.activation(outB);
            dSum = p.activation(outB);
        }
        if (needInputGrad) dxSlot = p.activation(in);
        return outB;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        int n = x.dim(0);
        Tensor a = branch.forward(x, training);
        Tensor s = shortcut == null ? x : shortcut.forward(x, training);
        if (fused) {
            Tensor r = activated.rows(n);
            be.elementwise().addRelu(a, s, r);
            return r;
        }
        Tensor y = sum.rows(n);
        be.elementwise().add(a, s, y);
        if (!reluAfter) return y;
        Tensor r = activated.rows(n);
        be.elementwise().reluForward(y, r);
        return r;
    }

    @Override
    public Tensor backward(Tensor dy) {
        int n = dy.dim(0);
        Tensor d = dy;
        if (reluAfter) {
            d = dSum.rows(n);
            be.elementwise().reluBackward(activated.rows(n), dy, d);
        }
        Tensor dBranch = branch.backward(d);
        Tensor dShort = shortcut == null ? d : shortcut.backward(d);
        if (!needInputGrad) return null;
        Tensor dx = dxSlot.rows(n);
        be.elementwise().add(dBranch, dShort, dx);
        return dx;
    }
}
