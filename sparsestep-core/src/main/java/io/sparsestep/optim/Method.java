package io.sparsestep.optim;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A training method in the registry ({@link Methods}): its id ({@code --method grda}),
 * label, one-line description, what it prunes (and so what its sparsity counts), its
 * options, and how its spec is read from their values. Adding a method is one spec record
 * that declares one of these, and one line in {@link Methods#ALL}.
 */
public record Method(String id, String label, String description, String prunes, List<MethodOption> options, Parser parser) {
    /** Reads a method's spec from its option values; the spec's own rules reject bad values by option name. */
    @FunctionalInterface
    public interface Parser {
        MethodSpec parse(OptionValues values);
    }

    public Method {
        options = List.copyOf(options);
    }

    public Optional<MethodOption> option(String name) {
        return options.stream().filter(o -> o.name().equals(name)).findFirst();
    }

    /** The spec from the given options (option name to text); options not given take their defaults. */
    public MethodSpec parse(Map<String, String> given) {
        for (String name : given.keySet()) {
            if (option(name).isEmpty()) throw new IllegalArgumentException(label + " has no option " + name);
        }
        return parser.parse(new OptionValues(this, given));
    }
}
