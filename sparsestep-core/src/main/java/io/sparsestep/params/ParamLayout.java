package io.sparsestep.params;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where every trainable tensor lives in a flat parameter-shaped buffer (the parameters,
 * their gradients, each optimizer state, masks, snapshots), in floats from the buffer's
 * start. Every group is one contiguous range with its tensors end to end (so a group's
 * range holds only parameters, one fused optimizer pass covers it and counts over it are
 * exact). {@link #of} chooses the offsets (sparsestep's own memory); {@link #explicit}
 * takes them from whoever laid the memory out (an embedding framework). Pure data: no
 * backend, no memory.
 */
public final class ParamLayout {
    /** {@link #of} starts groups on 64-byte boundaries: aligned vector loads on the CPU, float4 on the GPU. */
    public static final int ALIGN_WORDS = 16;

    /** A tensor as a model declares it, before it has a place. */
    public record Declared(String name, int[] shape, ParamGroup group) {
        public Declared {
            shape = shape.clone();
        }

        long size() { return ParamEntry.elements(shape); }
    }

    /** A group's range: {@code length} floats from {@code offset}. */
    public record Range(long offset, long length) {}

    private final List<ParamEntry> entries;
    private final Map<String, ParamEntry> byName = new LinkedHashMap<>();
    private final Map<ParamGroup, Range> groups = new EnumMap<>(ParamGroup.class);
    private final long words;

    ParamLayout(List<ParamEntry> entries, Map<ParamGroup, Range> groups, long words) {
        this.entries = List.copyOf(entries);
        for (ParamEntry e : entries) {
            if (byName.put(e.name(), e) != null) throw new IllegalArgumentException("two parameters are named '" + e.name() + "'");
        }
        this.groups.putAll(groups);
        this.words = words;
    }

    /**
     * Lays out declared tensors group by group (in {@link ParamGroup} order: WEIGHTS, then
     * BIAS_AND_NORM), in declaration order inside a group, tensors packed without padding,
     * and each group starting on a {@value #ALIGN_WORDS}-float (64-byte) boundary, so there
     * may be padding between the groups and at the end. Memory an embedding framework laid
     * out matches this only if it packed its tensors the same way; otherwise describe it
     * with {@link #explicit}.
     */
    public static ParamLayout of(List<Declared> declared) {
        List<ParamEntry> entries = new ArrayList<>(declared.size());
        Map<ParamGroup, Range> groups = new EnumMap<>(ParamGroup.class);
        long[] offsets = new long[declared.size()];
        long cursor = 0;
        for (ParamGroup g : ParamGroup.values()) {
            cursor = align(cursor);
            long start = cursor;
            for (int i = 0; i < declared.size(); i++) {
                if (declared.get(i).group() != g) continue;
                offsets[i] = cursor;
                cursor += declared.get(i).size();
            }
            groups.put(g, new Range(start, cursor - start));
        }
        for (int i = 0; i < declared.size(); i++) {
            Declared d = declared.get(i);
            entries.add(new ParamEntry(d.name(), d.shape(), d.group(), offsets[i], d.size()));
        }
        return new ParamLayout(entries, groups, Math.max(1, cursor));
    }

    /**
     * A layout with the offsets given: for memory laid out elsewhere (a framework's flat
     * parameter and gradient buffers, which must share these offsets). Entries may come in
     * any order, groups in any order, with gaps between groups (never stepped or counted).
     * Refused, with one line naming the tensors: a dimension below 1, a size that is not the
     * product of the shape ({@link ParamEntry#at} computes it), a negative offset, two
     * tensors that overlap, two with one name, and a group whose tensors do not lie end to
     * end: the optimizers step each group as one range ({@code ParamBuffer.group}), which
     * would step the gap too. Offsets need no alignment; see {@code Backend.wrap} for which
     * alignment is the fast path. {@link #words()} is the end of the last tensor.
     */
    public static ParamLayout explicit(List<ParamEntry> entries) {
        return ExplicitOffsets.layout(entries);
    }

    public static long align(long words) { return (words + ALIGN_WORDS - 1) / ALIGN_WORDS * ALIGN_WORDS; }

    /** Every tensor, in declaration order. */
    public List<ParamEntry> entries() { return entries; }

    /** Size of a parameter-shaped buffer, in floats (at least 1). */
    public long words() { return words; }

    public Range group(ParamGroup g) { return groups.get(g); }

    public Optional<ParamEntry> entry(String name) { return Optional.ofNullable(byName.get(name)); }

    /** The tensor named {@code name}, or an exception naming it and the known names. */
    public ParamEntry require(String name) {
        ParamEntry e = byName.get(name);
        if (e == null) throw new IllegalArgumentException("no parameter named '" + name + "'; this model has " + byName.keySet());
        return e;
    }

    /** Groups that hold at least one parameter, in {@link ParamGroup} order. */
    public List<ParamGroup> nonEmptyGroups() {
        List<ParamGroup> out = new ArrayList<>();
        for (ParamGroup g : ParamGroup.values()) if (groups.get(g).length() > 0) out.add(g);
        return out;
    }

    /** Number of trainable parameters (padding between groups not counted). */
    public long parameterCount() {
        long n = 0;
        for (ParamEntry e : entries) n += e.size();
        return n;
    }

    /** Whether two layouts place the same tensors (names, shapes, groups, offsets) alike. */
    public boolean sameAs(ParamLayout other) {
        return words == other.words && entries.equals(other.entries);
    }

    @Override
    public String toString() {
        return entries.size() + " tensors, " + parameterCount() + " parameters in " + words + " words " + Arrays.toString(
                nonEmptyGroups().stream().map(g -> g.id() + "@" + groups.get(g).offset() + "+" + groups.get(g).length()).toArray());
    }
}
