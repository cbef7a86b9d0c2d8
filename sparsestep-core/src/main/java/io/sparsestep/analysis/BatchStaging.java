package io.sparsestep.analysis;

import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host staging for a network's largest batch, allocated once: a loader's next batch is
 * written here and uploaded into the network's input and label regions.
 */
final class BatchStaging implements AutoCloseable {
    private final Network net;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment images, labels;

    BatchStaging(Network net) {
        this.net = net;
        long perSample = 1;
        for (int d : net.inputShape()) perSample *= d;
        this.images = arena.allocate(4 * perSample * net.maxBatch(), 64);
        this.labels = arena.allocate(4L * net.maxBatch(), 64);
    }

    /** Uploads {@code loader}'s next batch; returns its size, 0 at the end of the epoch. */
    int uploadNext(BatchLoader loader) {
        int n = loader.next(images, labels);
        if (n > 0) {
            net.backend().upload(images, net.input(n));
            net.backend().upload(labels, net.labels(n));
        }
        return n;
    }

    @Override
    public void close() { arena.close(); }
}
