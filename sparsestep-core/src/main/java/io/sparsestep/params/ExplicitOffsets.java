package io.sparsestep.params;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The checks behind {@link ParamLayout#explicit}: offsets someone else chose, refused
 * unless they describe memory the optimizers can step group by group. Each rule is one
 * line naming the tensors involved, since the caller is translating another framework's
 * metadata and needs to know which entry is off.
 */
final class ExplicitOffsets {
    private static final Comparator<ParamEntry> BY_OFFSET = Comparator.comparingLong(ParamEntry::offset);

    private ExplicitOffsets() {}

    static ParamLayout layout(List<ParamEntry> entries) {
        if (entries == null) throw new IllegalArgumentException("explicit layout: the entry list is null");
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) == null) throw new IllegalArgumentException("explicit layout: entry " + i + " is null");
            wellFormed(entries.get(i));
        }
        List<ParamEntry> sorted = new ArrayList<>(entries);
        sorted.sort(BY_OFFSET);
        for (int i = 1; i < sorted.size(); i++) {
            ParamEntry before = sorted.get(i - 1), after = sorted.get(i);
            if (after.offset() < end(before)) {
                throw new IllegalArgumentException("explicit layout: '" + after.name() + "' " + span(after) + " overlaps '" + before.name()
                        + "' " + span(before) + "; every tensor needs its own floats");
            }
        }
        Map<ParamGroup, ParamLayout.Range> groups = new EnumMap<>(ParamGroup.class);
        for (ParamGroup g : ParamGroup.values()) groups.put(g, contiguousRange(g, sorted));
        long words = sorted.isEmpty() ? 0 : end(sorted.getLast());
        return new ParamLayout(entries, groups, Math.max(1, words));
    }

    private static void wellFormed(ParamEntry e) {
        int[] shape = e.shape();
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("explicit layout: '" + e.name() + "' has shape " + Arrays.toString(shape)
                        + "; every dimension must be >= 1 (leave empty tensors out)");
            }
        }
        long elements;
        try {
            elements = ParamEntry.elements(shape);
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException("explicit layout: '" + e.name() + "' shape " + Arrays.toString(shape) + " overflows a long");
        }
        if (e.size() != elements) {
            throw new IllegalArgumentException("explicit layout: '" + e.name() + "' has size " + e.size() + " but shape "
                    + Arrays.toString(shape) + " holds " + elements + "; build it with ParamEntry.at, which computes the size");
        }
        if (e.offset() < 0 || e.offset() > Long.MAX_VALUE - elements) {
            throw new IllegalArgumentException("explicit layout: '" + e.name() + "' has offset " + e.offset()
                    + "; offsets are in floats from the buffer's start, >= 0");
        }
    }

    /** The group's one range, or an exception naming the two tensors a gap separates. */
    private static ParamLayout.Range contiguousRange(ParamGroup g, List<ParamEntry> sortedByOffset) {
        ParamEntry first = null, previous = null;
        for (ParamEntry e : sortedByOffset) {
            if (e.group() != g) continue;
            if (first == null) first = e;
            else if (e.offset() != end(previous)) {
                throw new IllegalArgumentException("explicit layout: group " + g.id() + " is not one contiguous range: '" + previous.name()
                        + "' ends at " + end(previous) + " but the next " + g.id() + " tensor, '" + e.name() + "', starts at " + e.offset()
                        + "; the optimizers step a group as one range, so lay its tensors end to end (gaps between groups are fine)");
            }
            previous = e;
        }
        return first == null ? new ParamLayout.Range(0, 0) : new ParamLayout.Range(first.offset(), end(previous) - first.offset());
    }

    private static long end(ParamEntry e) { return e.offset() + e.size(); }

    private static String span(ParamEntry e) { return "[" + e.offset() + ", " + end(e) + ")"; }
}
