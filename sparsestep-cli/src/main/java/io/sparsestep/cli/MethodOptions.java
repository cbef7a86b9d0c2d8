package io.sparsestep.cli;

import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodOption;
import io.sparsestep.optim.Methods;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The hyperparameter options of every training method, registered on a command from the
 * method registry ({@link Methods}), so a new method brings its options to {@code train},
 * {@code demo} and their help without an edit here. Values are kept as typed; the method's
 * spec parses and checks them, and an option of another method is refused by
 * {@link Methods#parse}.
 */
final class MethodOptions {
    private MethodOptions() {}

    /** Adds every method option (each once) to {@code spec}. */
    static void register(CommandSpec spec) {
        for (String name : Methods.allOptions()) {
            if (spec.findOption(name) != null) continue;
            add(spec, Methods.option(name), description(name));
        }
    }

    /** Adds the options {@code names} of {@code method} to {@code spec} (a command that trains with that method's step). */
    static void register(CommandSpec spec, Method method, List<String> names) {
        for (String name : names) {
            MethodOption o = method.option(name).orElseThrow(() -> new IllegalArgumentException(method.id() + " has no option " + name));
            add(spec, o, o.description() + (o.kind() == MethodOption.Kind.FLAG ? "" : " (default: " + o.defaultValue() + ")"));
        }
    }

    /** A flag takes an optional true/false, anything else its text as typed. */
    private static void add(CommandSpec spec, MethodOption option, String description) {
        String name = option.name();
        OptionSpec.Builder b = OptionSpec.builder(name).description(description);
        if (option.kind() == MethodOption.Kind.FLAG) b.type(boolean.class).arity("0..1");
        else b.type(String.class).paramLabel("<" + name.substring(2) + ">");
        spec.addOption(b.build());
    }

    /** "--c: threshold scale c >= 0 (gRDA, default 0.01)", per method where they differ. */
    private static String description(String name) {
        List<String> parts = new ArrayList<>();
        for (Method m : Methods.ALL) {
            m.option(name).ifPresent(o -> parts.add(m.label() + ": " + o.description()
                    + (o.kind() == MethodOption.Kind.FLAG ? "" : ", default " + o.defaultValue())));
        }
        return String.join("; ", parts);
    }

    /** The method options given on the command line, name to value as typed (flags as true/false). */
    static Map<String, String> given(ParseResult parsed) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : Methods.allOptions()) {
            if (!parsed.hasMatchedOption(name)) continue;
            Object value = parsed.matchedOptionValue(name, null);
            out.put(name, String.valueOf(value));
        }
        return out;
    }

    /** The given options that {@code method} takes (the demo gives each of its methods its own). */
    static Map<String, String> forMethod(Map<String, String> given, Method method) {
        return given.entrySet().stream().filter(e -> method.option(e.getKey()).isPresent())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
    }
}
