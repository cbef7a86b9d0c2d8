package io.sparsestep.djl;

import ai.djl.ndarray.NDArray;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * not is refused with both named (a weight DJL never updates would hold the step forever).
 */
final class WholeStep {
    /** One weight waiting for the rest of its step: its role, DJL's array of it, its state and learning rate. */
    record Staged(ParameterRoles.Role role, NDArray weight, StepState state, float lr) {
        String id() { return role.parameter().getId(); }
    }

    /** A rule's step of one staged weight, {@code w} being the weight where DJL keeps it. */
    @FunctionalInterface
    interface StagedStep {
        void step(Staged staged, Tensor w);
    }

    private final String rule;
    private final List<ParameterRoles.Role> expected;
    private final FlatWeights flat;
    private final Map<String, Staged> staged = new LinkedHashMap<>();

    /** A step over {@code expected} (the block's trainable weights, in its order) for the rule described as {@code rule}. */
    WholeStep(String rule, List<ParameterRoles.Role> expected, CoreOps ops) {
        this.rule = rule;
        this.expected = List.copyOf(expected);
        this.flat = FlatWeights.of(expected, true, ops);
    }

    /** Copies one weight's values and gradient in; true when it was the last one the step lacked. */
    boolean add(ParameterRoles.Role role, NDArray weight, MemorySegment w, MemorySegment g, StepState state, float lr) {
        String id = role.parameter().getId();
        if (!flat.holds(id)) {
            throw new IllegalStateException(role.name() + " did not take gradients when " + rule + " began selecting over the block's"
                    + " weights; freeze or unfreeze parameters before training starts, not during it");
        }
        if (staged.containsKey(id)) {
            throw new IllegalStateException(role.name() + " arrived twice in one step while " + missing() + " did not; " + rule
                    + " ranks all trainable weights of a step together, so each must be updated once per step (as Trainer.step() does)");
        }
        flat.putWeights(id, w, state.size());
        flat.putGradients(id, g, state.size());
        staged.put(id, new Staged(role, weight, state, lr));
        return staged.size() == expected.size();
    }

    /** The flat copies of this step's weights and gradients, its mask and selection scratch. */
    FlatWeights flat() { return flat; }

    /** Whether some weights of a step wait for the rest. */
    boolean pending() { return !staged.isEmpty(); }

    /** Steps of every weight of this step taken so far, the same for all (1-based). */
    long steps() { return staged.values().iterator().next().state().steps; }

    /** The staged weight's copied gradient. */
    Tensor gradient(Staged s) { return flat.part(flat.gradients(), s.id(), s.state().size()); }

    /** The staged weight's part of the flat mask. */
    Tensor mask(Staged s) { return flat.part(flat.mask(), s.id(), s.state().size()); }

    /** Runs {@code body} on each staged weight, in the block's order, where DJL keeps it (or through the host copy). */
    void forEach(CoreOps ops, UpdatePaths paths, StagedStep body) {
        for (String id : flat.ids()) {
            Staged s = staged.get(id);
            try (Arena scratch = Arena.ofConfined()) {
                HostFloats w = HostFloats.of(s.weight(), scratch);
                body.step(s, ops.floats(w.segment(), s.role().name()));
                w.writeBack();
                paths.count(w);
            }
        }
    }

    /** Forgets the staged weights (after their step ran, or failed). */
    void clear() { staged.clear(); }

    private List<String> missing() {
        List<String> out = new ArrayList<>();
        for (ParameterRoles.Role r : expected) if (!staged.containsKey(r.parameter().getId())) out.add(r.name());
        return out;
    }
}
