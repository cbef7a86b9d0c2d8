package io.sparsestep.djl;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each parameter of a DJL model is, learned from its {@link Block}: DJL hands an
 * optimizer only a parameter's id (a random UUID) and its arrays, so the name and whether it
 * is pruned must come from the block. Prunable are the parameters of type
 * {@link Parameter.Type#WEIGHT} (the weights of Linear, Conv, Embedding and RNN blocks);
 * biases ({@code BIAS}), batch and layer norm ({@code GAMMA}, {@code BETA}, the running
 * statistics) and anything else ({@code OTHER}) are not, as sparsestep's own bias-and-norm group.
 */
final class ParameterRoles {
    /** One parameter: its name in the block (e.g. {@code 01Linear_weight}), the parameter, whether it is pruned. */
    record Role(String name, Parameter parameter, boolean prunable) {}

    private final Map<String, Role> byId;
    private final Map<String, Role> byName;

    private ParameterRoles(Map<String, Role> byId, Map<String, Role> byName) {
        this.byId = byId;
        this.byName = byName;
    }

    /** Every parameter of {@code block} and its children, in the block's order. */
    static ParameterRoles of(Block block) {
        Map<String, Role> byId = new LinkedHashMap<>();
        Map<String, Role> byName = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Role role = new Role(p.getKey(), p.getValue(), p.getValue().getType() == Parameter.Type.WEIGHT);
            byId.put(role.parameter().getId(), role);
            byName.put(role.name(), role);
        }
        if (byId.isEmpty()) {
            throw new IllegalArgumentException("the block " + block.getClass().getSimpleName()
                    + " has no parameters; give setBlock the model's block (model.getBlock())");
        }
        return new ParameterRoles(Collections.unmodifiableMap(byId), Collections.unmodifiableMap(byName));
    }

    /** The role of the parameter with this id; refuses an id the block does not hold. */
    Role require(String parameterId) {
        Role role = byId.get(parameterId);
        if (role == null) {
            throw new IllegalArgumentException("parameter id " + parameterId + " is not a parameter of the block this optimizer was built"
                    + " for (" + byId.size() + " parameters, e.g. " + byName.keySet().iterator().next()
                    + "); build the optimizer with setBlock(model.getBlock()) of the model it trains");
        }
        return role;
    }

    /** The role of the parameter with this name, or null. */
    Role byName(String name) { return byName.get(name); }

    /** Every parameter, in the block's order. */
    Collection<Role> all() { return byName.values(); }

    /** The prunable parameters, in the block's order. */
    List<Role> prunable() {
        List<Role> out = new ArrayList<>();
        for (Role r : byName.values()) if (r.prunable()) out.add(r);
        return out;
    }
}
