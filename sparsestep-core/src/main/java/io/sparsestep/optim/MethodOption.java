package io.sparsestep.optim;

import java.util.List;

/**
 * One hyperparameter a method takes on the command line: the option ({@code --c}), what it
 * means, its default as text, and whether it is a number, a flag or one of named choices.
 * The CLI registers these, the help and the docs print them, a checkpoint records the values.
 */
public record MethodOption(String name, String description, String defaultValue, Kind kind, List<String> choices) {
    public enum Kind { NUMBER, FLAG, CHOICE, TEXT }

    public MethodOption {
        choices = List.copyOf(choices);
        if ((kind == Kind.CHOICE) != !choices.isEmpty()) throw new IllegalArgumentException(name + ": choices go with kind CHOICE only");
        if (kind == Kind.CHOICE && !choices.contains(defaultValue)) {
            throw new IllegalArgumentException(name + ": default '" + defaultValue + "' is not one of " + choices);
        }
    }

    /** A number or a flag (no list of values). */
    public MethodOption(String name, String description, String defaultValue, Kind kind) {
        this(name, description, defaultValue, kind, List.of());
    }

    public static MethodOption number(String name, String description, String defaultValue) {
        return new MethodOption(name, description, defaultValue, Kind.NUMBER, List.of());
    }

    public static MethodOption flag(String name, String description) {
        return new MethodOption(name, description, "false", Kind.FLAG, List.of());
    }

    /** A flag that is on unless turned off ({@code --name false}). */
    public static MethodOption flagOn(String name, String description) {
        return new MethodOption(name, description, "true", Kind.FLAG, List.of());
    }

    /** Free text the method parses itself (a list, a per-layer map), empty by default. */
    public static MethodOption text(String name, String description) {
        return new MethodOption(name, description, "", Kind.TEXT, List.of());
    }

    /** One of {@code choices}, the first being the default unless {@code defaultValue} says otherwise. */
    public static MethodOption choice(String name, String description, String defaultValue, String... choices) {
        return new MethodOption(name, description, defaultValue, Kind.CHOICE, List.of(choices));
    }

    /** One of {@code choices}, as typed (e.g. {@code --groups filters}). */
    public static MethodOption choice(String name, String description, String defaultValue, List<String> choices) {
        return new MethodOption(name, description, defaultValue, Kind.CHOICE, choices);
    }
}
