package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The four allocations of a network, llm.c style: all parameters in one buffer, all
 * gradients in one (same offsets), all running statistics in one, and one workspace for
 * activations, input gradients, per-layer buffers and the shared scratch. Every slot a
 * {@link Planner} handed out becomes a view into one of them. Parameters are laid out
 * group by group, so each {@link ParamGroup} is one contiguous range.
 */
public final class FlatMemory implements AutoCloseable {
    /** Views start on 64-byte boundaries: aligned vector loads on the CPU, float4 on the GPU. */
    static final int ALIGN_WORDS = 16;

    private final Backend backend;
    private final Buffer params, grads, states, workspace;
    private final Map<ParamGroup, long[]> groupRanges = new EnumMap<>(ParamGroup.class);
    private final List<Param> paramList;
    private final List<StateTensor> stateList;

    public FlatMemory(Planner plan, long seed) {
        this.backend = plan.backend();
        this.paramList = List.copyOf(plan.params);
        this.stateList = List.copyOf(plan.states);

        // parameters: group by group, each group contiguous (no padding inside a group,
        // so a group's range holds only parameters and counts are exact)
        long[] paramOffsets = new long[paramList.size()];
        long cursor = 0;
        for (ParamGroup g : ParamGroup.values()) {
            cursor = align(cursor);
            long start = cursor;
            for (int i = 0; i < paramList.size(); i++) {
                if (paramList.get(i).group() != g) continue;
                paramOffsets[i] = cursor;
                cursor += paramList.get(i).size();
            }
            groupRanges.put(g, new long[]{start, cursor - start});
        }
        long paramWords = Math.max(1, cursor);

        long[] stateOffsets = new long[stateList.size()];
        cursor = 0;
        for (int i = 0; i < stateList.size(); i++) {
            cursor = align(cursor);
            stateOffsets[i] = cursor;
            cursor += stateList.get(i).size();
        }
        long stateWords = Math.max(1, cursor);

        long[] wsOffsets = new long[plan.workspaceSlots.size()];
        cursor = 0;
        for (int i = 0; i < wsOffsets.length; i++) {
            cursor = align(cursor);
            wsOffsets[i] = cursor;
            cursor += plan.workspaceSlots.get(i).size();
        }
        long scratchStart = align(cursor);
        long scratchWords = 0;
        for (Slot s : plan.scratchSlots) scratchWords = Math.max(scratchWords, s.size());
        long workspaceWords = Math.max(1, scratchStart + scratchWords);

        List<Buffer> made = new ArrayList<>(4);
        try {
            made.add(backend.allocate(paramWords, "params"));
            made.add(backend.allocate(paramWords, "grads"));
            made.add(backend.allocate(stateWords, "states"));
            made.add(backend.allocate(workspaceWords, "workspace"));
        } catch (RuntimeException e) {
            // a network that does not fit must not keep memory on a backend that others share
            for (Buffer b : made) b.close();
            throw e;
        }
        params = made.get(0);
        grads = made.get(1);
        states = made.get(2);
        workspace = made.get(3);

        for (int i = 0; i < paramList.size(); i++) {
            Param p = paramList.get(i);
            p.value().bind(new Tensor(params, paramOffsets[i], p.shape()));
            p.grad().bind(new Tensor(grads, paramOffsets[i], p.shape()));
        }
        for (int i = 0; i < stateList.size(); i++) {
            StateTensor s = stateList.get(i);
            s.value().bind(new Tensor(states, stateOffsets[i], s.size()));
        }
        for (int i = 0; i < wsOffsets.length; i++) {
            Slot s = plan.workspaceSlots.get(i);
            s.bind(new Tensor(workspace, wsOffsets[i], s.shape()));
        }
        for (Slot s : plan.scratchSlots) s.bind(new Tensor(workspace, scratchStart, s.shape()));

        initialise(paramOffsets, stateOffsets, paramWords, stateWords, seed);
    }

    static long align(long words) { return (words + ALIGN_WORDS - 1) / ALIGN_WORDS * ALIGN_WORDS; }

    /** Draws every parameter on the host in declaration order (seeded), then uploads once. */
    private void initialise(long[] paramOffsets, long[] stateOffsets, long paramWords, long stateWords, long seed) {
        Random rng = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * paramWords, 64);
            for (int i = 0; i < paramList.size(); i++) {
                Param p = paramList.get(i);
                float[] values = new float[Math.toIntExact(p.size())];
                p.init().fill(values, p.fanIn(), rng);
                MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 4 * paramOffsets[i], values.length);
            }
            backend.upload(host, new Tensor(params, 0, Math.toIntExact(paramWords)));
            MemorySegment hostStates = arena.allocate(4 * stateWords, 64);
            for (int i = 0; i < stateList.size(); i++) {
                StateTensor s = stateList.get(i);
                for (int j = 0; j < s.size(); j++) {
                    hostStates.setAtIndex(ValueLayout.JAVA_FLOAT, stateOffsets[i] + j, s.initial());
                }
            }
            backend.upload(hostStates, new Tensor(states, 0, Math.toIntExact(stateWords)));
        }
    }

    public Backend backend() { return backend; }
    public Buffer params() { return params; }
    public Buffer grads() { return grads; }
    public Buffer states() { return states; }
    public Buffer workspace() { return workspace; }
    public List<Param> paramList() { return paramList; }
    public List<StateTensor> stateList() { return stateList; }

    /** Number of trainable parameters. */
    public long parameterCount() {
        long n = 0;
        for (Param p : paramList) n += p.size();
        return n;
    }

    /** Offset and length of a group's range in the params (and grads) buffer. */
    public long[] groupRange(ParamGroup g) { return groupRanges.get(g).clone(); }

    /** View of one group's values in {@code buffer} (params, grads, or an optimizer state laid out alike). */
    public Tensor groupView(Buffer buffer, ParamGroup g) {
        long[] r = groupRanges.get(g);
        return new Tensor(buffer, r[0], Math.toIntExact(r[1]));
    }

    /** Groups that hold at least one parameter, in layout order. */
    public List<ParamGroup> nonEmptyGroups() {
        List<ParamGroup> out = new ArrayList<>();
        for (ParamGroup g : ParamGroup.values()) if (groupRanges.get(g)[1] > 0) out.add(g);
        return out;
    }

    @Override
    public void close() {
        workspace.close();
        states.close();
        grads.close();
        params.close();
    }
}
