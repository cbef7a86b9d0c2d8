package io.sparsestep.analysis;

import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;

import java.util.List;

/**
 * Which parameters a Hessian and its direction cover, and the packing of those parameters
 * (in layout order, without the alignment padding between groups) into a dense double
 * vector of length D. {@link #ALL}: every trainable tensor (conv/linear weights, biases,
 * batch-norm scales and shifts), as the gRDA authors' Hessian (ALGORITHMS.md 1.5);
 * {@link #WEIGHTS}: the conv/linear weights only (what pruning and a weight sparsity count).
 */
public enum ParamSelection {
    ALL("all", "all trainable parameters (conv/linear weights, biases, batch-norm scales and shifts)"),
    WEIGHTS("weights", "conv/linear weights only");

    private final String option;
    private final String description;

    ParamSelection(String option, String description) {
        this.option = option;
        this.description = description;
    }

    /** The command-line spelling. */
    public String option() { return option; }

    /** What it counts, in words for a report. */
    public String description() { return description; }

    /** The value of {@code --parameters}; anything else is refused naming the choices. */
    public static ParamSelection parse(String option) {
        for (ParamSelection s : values()) if (s.option.equals(option)) return s;
        throw new IllegalArgumentException("--parameters " + option + ": choose all or weights");
    }

    /** The tensors selected, in layout order. */
    public List<ParamEntry> entries(ParamLayout layout) {
        return layout.entries().stream().filter(e -> this == ALL || e.group() == ParamGroup.WEIGHTS).toList();
    }

    /** D: the number of parameters selected. */
    public int dimension(ParamLayout layout) {
        return Math.toIntExact(entries(layout).stream().mapToLong(ParamEntry::size).sum());
    }

    /** The selected entries of a whole parameter-shaped host buffer ({@code layout.words()} floats), packed. */
    public double[] pack(ParamLayout layout, float[] words) {
        double[] v = new double[dimension(layout)];
        int at = 0;
        for (ParamEntry e : entries(layout)) {
            for (long i = 0; i < e.size(); i++) v[at++] = words[Math.toIntExact(e.offset() + i)];
        }
        return v;
    }

    /** A packed vector spread back into a parameter-shaped host buffer, 0 everywhere else (padding included). */
    public float[] unpack(ParamLayout layout, double[] v) {
        float[] words = new float[Math.toIntExact(layout.words())];
        int at = 0;
        for (ParamEntry e : entries(layout)) {
            for (long i = 0; i < e.size(); i++) words[Math.toIntExact(e.offset() + i)] = (float) v[at++];
        }
        return words;
    }
}
