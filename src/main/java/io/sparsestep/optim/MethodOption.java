package io.sparsestep.optim;

/**
 * One hyperparameter a method takes on the command line: the option ({@code --c}), what it
 * means, its default as text, and whether it is a number or a flag. The CLI registers
 * these, the help and the docs print them, a checkpoint records the values.
 */
public record MethodOption(String name, String description, String defaultValue, Kind kind) {
    public enum Kind { NUMBER, FLAG }

    public static MethodOption number(String name, String description, String defaultValue) {
        return new MethodOption(name, description, defaultValue, Kind.NUMBER);
    }

    public static MethodOption flag(String name, String description) {
        return new MethodOption(name, description, "false", Kind.FLAG);
    }
}
