package io.sparsestep.optim;

import java.util.List;

/**
 * One hyperparameter a method takes on the command line: the option ({@code --c}), what it
 * means, its default as text, whether it is a number, a flag or a choice among named
 * values, and those values (a choice's only). The CLI registers these, the help and the docs
 * print them, a checkpoint records the values.
 */
public record MethodOption(String name, String description, String defaultValue, Kind kind, List<String> choices) {
    public enum Kind { NUMBER, FLAG, CHOICE }

    public MethodOption {
        choices = List.copyOf(choices);
        if ((kind == Kind.CHOICE) != !choices.isEmpty()) throw new IllegalArgumentException(name + ": a choice, and only a choice, lists its values");
        if (kind == Kind.CHOICE && !choices.contains(defaultValue)) {
            throw new IllegalArgumentException(name + ": default '" + defaultValue + "' is not one of " + choices);
        }
    }

    /** A number or a flag (no list of values). */
    public MethodOption(String name, String description, String defaultValue, Kind kind) {
        this(name, description, defaultValue, kind, List.of());
    }

    public static MethodOption number(String name, String description, String defaultValue) {
        return new MethodOption(name, description, defaultValue, Kind.NUMBER);
    }

    public static MethodOption flag(String name, String description) {
        return new MethodOption(name, description, "false", Kind.FLAG);
    }

    /** One of {@code choices}, as typed (e.g. {@code --groups filters}). */
    public static MethodOption choice(String name, String description, String defaultValue, List<String> choices) {
        return new MethodOption(name, description, defaultValue, Kind.CHOICE, choices);
    }
}
