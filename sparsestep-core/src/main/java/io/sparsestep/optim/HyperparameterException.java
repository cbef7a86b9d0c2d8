package io.sparsestep.optim;

/**
 * A hyperparameter outside its admissible range. It keeps the parameter's name, the rule
 * and the rejected value apart, so a front end can report the rule under its own name for
 * the parameter (a command-line option, a config key) without restating the rule.
 */
public final class HyperparameterException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final String rule;
    private final String got;

    /** E.g. {@code ("gRDA", "mu", "must be in (0, 1)", 1.5)}: "gRDA mu must be in (0, 1), got 1.5". */
    public HyperparameterException(String owner, String parameter, String rule, Object got) {
        super(owner + " " + parameter + " " + rule + ", got " + got);
        this.parameter = parameter;
        this.rule = rule;
        this.got = String.valueOf(got);
    }

    /** The library's name of the parameter, e.g. "mu", "weight decay". */
    public String parameter() { return parameter; }

    /** What the value must satisfy, e.g. "must be in (0, 1)". */
    public String rule() { return rule; }

    /** The rejected value as text. */
    public String got() { return got; }

    /** The same complaint under another name, e.g. {@code "--mu must be in (0, 1), got 1.5"}. */
    public String messageFor(String name) { return name + " " + rule + ", got " + got; }

    /**
     * Runs {@code apply} (typically one builder call); a broken rule comes out as an
     * IllegalArgumentException worded for {@code name}, e.g. the option that set the value.
     */
    public static void underName(String name, Runnable apply) {
        try {
            apply.run();
        } catch (HyperparameterException e) {
            throw new IllegalArgumentException(e.messageFor(name), e);
        }
    }
}
