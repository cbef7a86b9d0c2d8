package io.sparsestep.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values of one method's options: those given on the command line, else each option's
 * default. Reading a value that does not parse names the option. {@link #resolved()} is
 * every option with its value, which is what a checkpoint records to rebuild the method.
 */
public final class OptionValues {
    private final Method method;
    private final Map<String, String> resolved = new LinkedHashMap<>();

    OptionValues(Method method, Map<String, String> given) {
        this.method = method;
        for (MethodOption o : method.options()) resolved.put(o.name(), given.getOrDefault(o.name(), o.defaultValue()));
    }

    public double number(String option) {
        String text = value(option);
        try {
            double v = Double.parseDouble(text);
            if (!Double.isFinite(v)) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a finite number, got '" + text + "'", e);
        }
    }

    public boolean flag(String option) {
        String text = value(option);
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException(option + " is a flag (true or false), got '" + text + "'");
        }
        return Boolean.parseBoolean(text);
    }

    /** A whole number (a count of steps or epochs), refusing a fraction by name. */
    public long whole(String option) {
        double v = number(option);
        if (v != Math.rint(v) || Math.abs(v) > 1e15) throw new IllegalArgumentException(option + " must be a whole number, got '" + value(option) + "'");
        return (long) v;
    }

    /** The option's text as given (empty when not given). */
    public String text(String option) { return value(option); }

    /** One of the option's choices, refusing anything else with the list. */
    public String choice(String option) {
        String text = value(option);
        MethodOption o = method.option(option).orElseThrow();
        if (!o.choices().contains(text)) throw new IllegalArgumentException(option + " must be one of " + String.join(", ", o.choices()) + ", got '" + text + "'");
        return text;
    }

    /** Every option of the method with the value it takes, in the method's order. */
    public Map<String, String> resolved() { return Map.copyOf(resolved); }

    private String value(String option) {
        String v = resolved.get(option);
        if (v == null) throw new IllegalStateException(method.id() + " has no option " + option);
        return v;
    }
}
