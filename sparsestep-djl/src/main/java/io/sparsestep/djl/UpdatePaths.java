package io.sparsestep.djl;

import java.util.concurrent.atomic.AtomicLong;

/** How many updates ran directly on DJL's memory and how many through the host copy ({@link HostFloats}). */
final class UpdatePaths {
    private final AtomicLong inPlace = new AtomicLong();
    private final AtomicLong copied = new AtomicLong();

    /** Counts one update of the weight {@code w}. */
    void count(HostFloats w) { (w.inPlace() ? inPlace : copied).incrementAndGet(); }

    long inPlace() { return inPlace.get(); }

    long copied() { return copied.get(); }
}
