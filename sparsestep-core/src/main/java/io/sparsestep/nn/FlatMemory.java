package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The four allocations of a network, llm.c style: all parameters in one buffer, all
 * gradients in one (same offsets), all running statistics in one, and one workspace for
 * activations, input gradients, per-layer buffers and the shared scratch. Every slot a
 * {@link Planner} handed out becomes a view into one of them. The parameters and gradients
 * are the network's {@link ParamSpace} (laid out group by group by {@link ParamLayout}, so
 * each {@link ParamGroup} is one contiguous range); optimizers and tools are built on that.
 */
public final class FlatMemory implements AutoCloseable {
    /** Views start on 64-byte boundaries: aligned vector loads on the CPU, float4 on the GPU. */
    static final int ALIGN_WORDS = ParamLayout.ALIGN_WORDS;

    private final Backend backend;
    private final ParamSpace space;
    private final Buffer states, workspace;
    private final List<Param> paramList;
    private final List<StateTensor> stateList;

    public FlatMemory(Planner plan, long seed) {
        this.backend = plan.backend();
        this.paramList = List.copyOf(plan.params);
        this.stateList = List.copyOf(plan.states);

        // parameters: group by group, each group contiguous (ParamLayout)
        List<ParamLayout.Declared> declared = new ArrayList<>(paramList.size());
        for (Param p : paramList) declared.add(new ParamLayout.Declared(p.name(), p.shape(), p.group()));
        ParamLayout layout = ParamLayout.of(declared);

        long[] stateOffsets = new long[stateList.size()];
        long cursor = 0;
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

        ParamSpace madeSpace = ParamSpace.allocate(backend, layout);
        List<Buffer> made = new ArrayList<>(2);
        try {
            made.add(backend.allocate(stateWords, "states"));
            made.add(backend.allocate(workspaceWords, "workspace"));
        } catch (RuntimeException e) {
            // a network that does not fit must not keep memory on a backend that others share
            for (Buffer b : made) b.close();
            madeSpace.close();
            throw e;
        }
        space = madeSpace;
        states = made.get(0);
        workspace = made.get(1);

        for (int i = 0; i < paramList.size(); i++) {
            ParamEntry e = layout.entries().get(i);
            paramList.get(i).value().bind(space.values().of(e));
            paramList.get(i).grad().bind(space.grads().of(e));
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

        initialise(stateOffsets, stateWords, seed);
    }

    static long align(long words) { return ParamLayout.align(words); }

    /** Draws every parameter on the host in declaration order (seeded), then uploads once. */
    private void initialise(long[] stateOffsets, long stateWords, long seed) {
        Random rng = new Random(seed);
        ParamLayout layout = space.layout();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * layout.words(), 64);
            for (int i = 0; i < paramList.size(); i++) {
                Param p = paramList.get(i);
                float[] values = new float[Math.toIntExact(p.size())];
                p.init().fill(values, p.fanIn(), rng);
                MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 4 * layout.entries().get(i).offset(), values.length);
            }
            backend.upload(host, space.values().all());
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
    /** The parameters, their gradients and their layout: what optimizers, masks and tools are built on. */
    public ParamSpace paramSpace() { return space; }
    public Buffer params() { return space.values().buffer(); }
    public Buffer grads() { return space.grads().buffer(); }
    public Buffer states() { return states; }
    public Buffer workspace() { return workspace; }
    public List<Param> paramList() { return paramList; }
    public List<StateTensor> stateList() { return stateList; }

    /** Number of trainable parameters. */
    public long parameterCount() { return space.layout().parameterCount(); }

    /** Offset and length of a group's range in the params (and grads) buffer. */
    public long[] groupRange(ParamGroup g) {
        ParamLayout.Range r = space.layout().group(g);
        return new long[] {r.offset(), r.length()};
    }

    /** View of one group's values in {@code buffer} (params, grads, or an optimizer state laid out alike). */
    public Tensor groupView(Buffer buffer, ParamGroup g) {
        ParamLayout.Range r = space.layout().group(g);
        return new Tensor(buffer, r.offset(), Math.toIntExact(r.length()));
    }

    /** Groups that hold at least one parameter, in layout order. */
    public List<ParamGroup> nonEmptyGroups() { return space.layout().nonEmptyGroups(); }

    @Override
    public void close() {
        workspace.close();
        states.close();
        space.close();
    }
}
