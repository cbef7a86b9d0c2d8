package io.sparsestep.optim;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every training method, in one list that the CLI (its {@code --method} choices and
 * options), the summary, the benchmark and the docs read. A new method adds its spec
 * record and one entry here.
 */
public final class Methods {
    public static final List<Method> ALL = List.of(GrdaSpec.METHOD, SgdSpec.METHOD, GsmSpec.METHOD, GmpSpec.METHOD, DropPruningSpec.METHOD,
            MagnitudeSpec.METHOD, CampfireSpec.METHOD, FilterPruningSpec.METHOD,
            SlimmingSpec.METHOD, SdprunSpec.METHOD, FixedMaskSpec.METHOD);

    private Methods() {}

    /** The method with this id, or an exception listing the known ones. */
    public static Method find(String id) {
        for (Method m : ALL) if (m.id().equals(id)) return m;
        throw new IllegalArgumentException("unknown --method '" + id + "'; known: "
                + ALL.stream().map(m -> m.id() + " (" + m.label() + ")").collect(Collectors.joining(", ")));
    }

    /** Every option some method takes, in registry order, each once. */
    public static Set<String> allOptions() {
        Set<String> out = new LinkedHashSet<>();
        for (Method m : ALL) for (MethodOption o : m.options()) out.add(o.name());
        return out;
    }

    /** The first registered declaration of an option (for its description in shared help). */
    public static MethodOption option(String name) {
        for (Method m : ALL) {
            var o = m.option(name);
            if (o.isPresent()) return o.get();
        }
        throw new IllegalArgumentException("no method takes " + name);
    }

    /**
     * The spec of method {@code id} from the options given on the command line. An option
     * that belongs to other methods only is an error naming them (e.g. {@code --c} with
     * {@code --method sgd}): silently ignoring it would train something else than asked.
     */
    public static MethodSpec parse(String id, Map<String, String> given) {
        Method method = find(id);
        for (String name : given.keySet()) {
            if (method.option(name).isPresent()) continue;
            List<String> owners = new ArrayList<>();
            for (Method m : ALL) if (m.option(name).isPresent()) owners.add(m.label() + " (--method " + m.id() + ")");
            String of = owners.size() == 1 ? owners.getFirst()
                    : String.join(", ", owners.subList(0, owners.size() - 1)) + " and " + owners.getLast();
            throw new IllegalArgumentException(name + " is an option of " + of + "; "
                    + method.label() + " (--method " + method.id() + ") does not take it");
        }
        return method.parse(given);
    }
}
