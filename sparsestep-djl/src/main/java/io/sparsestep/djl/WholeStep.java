package io.sparsestep.djl;

import ai.djl.ndarray.NDArray;
import io.sparsestep.backend.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One device's step of a rule that ranks all prunable weights together (GSM at every step,
 * global GMP at its mask updates), gathered as DJL hands the parameters over one at a time.
 *
 * <p>Why buffered: DJL's {@code Trainer.step()} calls {@code update(id, weight, grad)} once
 * per parameter and device, and its parameter server sums a parameter's gradient over the
 * devices only when that parameter's turn comes, handing over a copy it closes right after.
 * So neither reading the other gradients through the block at the first update (they are
 * not summed yet with several devices) nor keeping the handed-over arrays works. Each weight's
 * values and gradient are copied into a {@link FlatWeights} as they arrive and its step is
 * deferred; when the last trainable weight of the step has arrived, the rule selects over the
 * flat copy and steps every weight where DJL keeps it, with its copied gradient. The weights
 * therefore change only once the whole step is in (DJL reads none of them before its next
 * forward pass). Cost per such step: one copy of every weight and gradient (8 bytes per
 * weight, memory of the optimizer's own, allocated once per device) besides the selection.
 *
 * <p>Every trainable weight must arrive once per step: one arriving twice while another has
 * not is refused with both named (a weight DJL never updates would hold the step forever);
 * the refused arrival changes nothing, the step still waits for the missing one.
 *
 * <p>A staged weight's step count advances only when its step runs: {@link #run} counts the
 * whole step, and takes the counts back when the rule refuses it (a NaN score), so a saved
 * state never records a step that did not run. The places of the weights, the flat copies and
 * their tensors are made once per device (a steady step makes none).
 */
final class WholeStep {
    /**
     * One trainable weight's place in a step; while staged: DJL's array of it, its state and
     * views, the step number it takes (1-based, not yet counted in the state), its learning
     * rate, and whether its state is new (it joins the optimizer's states once the step ran).
     */
    static final class Staged {
        private final ParameterRoles.Role role;
        private NDArray weight;
        private StepState state;
        private StepViews views;
        private float lr;
        private long step;
        private boolean fresh, present;

        Staged(ParameterRoles.Role role) { this.role = role; }

        String id() { return role.parameter().getId(); }

        NDArray weight() { return weight; }

        StepState state() { return state; }

        float lr() { return lr; }

        long step() { return step; }

        boolean fresh() { return fresh; }
    }

    /** A rule's step of one staged weight, {@code w} being the weight where DJL keeps it (or its host copy), {@code v} its views. */
    @FunctionalInterface
    interface StagedStep {
        void step(Staged staged, StepViews v, Tensor w);
    }

    private final String rule;
    private final List<ParameterRoles.Role> expected;
    private final FlatWeights flat;
    private final Map<String, Staged> places = new LinkedHashMap<>();
    private int staged;

    /** A step over {@code expected} (the block's trainable weights, in its order) for the rule described as {@code rule}. */
    WholeStep(String rule, List<ParameterRoles.Role> expected, CoreOps ops) {
        this.rule = rule;
        this.expected = List.copyOf(expected);
        this.flat = FlatWeights.of(expected, true, ops);
        for (ParameterRoles.Role r : expected) places.put(r.parameter().getId(), new Staged(r));
    }

    /**
     * Refuses an empty list of weights to rank together ({@code what} ranks them) and weights
     * not initialized yet; returns their count N.
     */
    static long requireWeights(List<ParameterRoles.Role> weights, String what) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException(what + " ranks the block's trainable weights (parameters of type WEIGHT) together, and the"
                    + " block has none; give the optimizer the block that holds them");
        }
        long n = 0;
        for (ParameterRoles.Role r : weights) {
            if (!r.parameter().isInitialized()) {
                throw new IllegalStateException(r.name() + " is not initialized yet; initialize the block (trainer.initialize) first");
            }
            n += r.parameter().getArray().size();
        }
        return n;
    }

    /** Refuses a weight that has no place in this step or is staged already, before anything is read or changed. */
    void requireAwaited(ParameterRoles.Role role) {
        Staged place = places.get(role.parameter().getId());
        if (place == null) {
            throw new IllegalStateException(role.name() + " did not take gradients when " + rule + " began selecting over the block's"
                    + " weights; freeze or unfreeze parameters before training starts, not during it");
        }
        if (place.present) {
            throw new IllegalStateException(role.name() + " arrived twice in one step while " + missing() + " did not; " + rule
                    + " ranks all trainable weights of a step together, so each must be updated once per step (as Trainer.step() does)");
        }
    }

    /**
     * Copies one weight's values and gradient in (its views loaded with this step's arrays)
     * for its step number {@code step}; true when it was the last one the step lacked.
     */
    boolean add(ParameterRoles.Role role, NDArray weight, StepViews views, StepState state, float lr, long step, boolean fresh) {
        requireAwaited(role);
        String id = role.parameter().getId();
        flat.putWeights(id, views.weight().segment(), state.size());
        flat.putGradients(id, views.gradient().segment(), state.size());
        Staged place = places.get(id);
        place.weight = weight;
        place.state = state;
        place.views = views;
        place.lr = lr;
        place.step = step;
        place.fresh = fresh;
        place.present = true;
        staged++;
        return staged == expected.size();
    }

    /**
     * Runs the whole step: every staged weight's count advances, {@code rule} steps them, and
     * {@code ran} gets each one (its state to keep, its count to note); when the rule refuses
     * the step the counts go back to what they were and the refusal is thrown. Either way the
     * staged weights are forgotten after.
     */
    void run(StepRule rule, UpdatePaths paths, Consumer<Staged> ran) {
        try {
            for (Staged s : places.values()) s.state.steps = s.step;
            try {
                rule.stepWhole(this, paths);
            } catch (RuntimeException | Error e) {
                for (Staged s : places.values()) s.state.steps = s.step - 1;
                throw e;
            }
            for (Staged s : places.values()) ran.accept(s);
        } finally {
            clear();
        }
    }

    /** The flat copies of this step's weights and gradients, its mask and selection scratch. */
    FlatWeights flat() { return flat; }

    /** Whether some weights of a step wait for the rest. */
    boolean pending() { return staged > 0; }

    /** The step number of this step's weights, the same for all (1-based). */
    long steps() { return places.values().iterator().next().step; }

    /** The staged weight's copied gradient. */
    Tensor gradient(Staged s) { return flat.gradientOf(s.id()); }

    /** The staged weight's part of the flat mask. */
    Tensor mask(Staged s) { return flat.maskOf(s.id()); }

    /** Runs {@code body} on each staged weight, in the block's order, where DJL keeps it (or through its host copy, written back). */
    void forEach(UpdatePaths paths, StagedStep body) {
        for (Staged s : places.values()) {
            HostFloats w = s.views.weight();
            body.step(s, s.views, w.tensor());
            w.writeBack();
            paths.count(w);
        }
    }

    /** Forgets the staged weights (after their step ran, or failed). */
    void clear() {
        for (Staged s : places.values()) {
            s.present = false;
            s.weight = null;
            s.state = null;
            s.views = null;
        }
        staged = 0;
    }

    private List<String> missing() {
        List<String> out = new ArrayList<>();
        for (Staged s : places.values()) if (!s.present) out.add(s.role.name());
        return out;
    }
}
