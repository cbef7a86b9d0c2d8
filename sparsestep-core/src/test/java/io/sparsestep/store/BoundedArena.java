package io.sparsestep.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An arena that fails the test as soon as the code under test asks it for more than
 * {@code limit} bytes in all: the reader's promise is to allocate no more than the file
 * holds, whatever its header claims. The check comes before the allocation, so a header
 * claiming terabytes costs nothing here either.
 */
final class BoundedArena implements Arena {
    private final Arena arena = Arena.ofConfined();
    private final long limit;
    private long allocated;

    BoundedArena(long limit) {
        this.limit = limit;
    }

    long allocated() {
        return allocated;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        allocated += byteSize;
        if (byteSize < 0 || allocated > limit) {
            throw new AssertionError("the reader asked for " + byteSize + " bytes (" + allocated
                    + " in all) while reading a file of " + limit + " bytes");
        }
        return arena.allocate(byteSize, byteAlignment);
    }

    @Override
    public MemorySegment.Scope scope() {
        return arena.scope();
    }

    @Override
    public void close() {
        arena.close();
    }
}
