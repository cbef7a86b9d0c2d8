package io.sparsestep.train;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.nn.Flatten;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Sequential;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Sgd;
import io.sparsestep.testing.WatchedBackend;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Each epoch the Trainer trains on the order {@link BatchLoader} defines for (seed, epoch):
 * a new shuffle every epoch, the same one any other run with this seed sees. What the
 * network trained on is read where it cannot be faked: the labels of every training loss
 * (softmax cross-entropy with a gradient), taken from the backend as the loss is computed.
 * Every image has its own class, its index, so the labels are the samples' order.
 */
class TrainerDataOrderTest {
    private static final int IMAGES = 20, BATCH = 8, EPOCHS = 3;
    private static final long SEED = 7;

    @Test
    void everyEpochTrainsOnTheLoadersOrderForThatEpoch() {
        DatasetSplit train = indexed("order/train", IMAGES), test = indexed("order/test", 4);
        Normalization norm = Normalization.of(train);
        List<List<Integer>> trained = new ArrayList<>();
        List<Integer> epochEnds = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(1)) {
            Backend recording = recordingTrainingLabels(cpu, trained);
            int[] image = {1, 2, 2};
            try (Network net = Network.build("order", recording, new Sequential("", new Flatten("flatten"), new Linear("fc", IMAGES)),
                    image, IMAGES, BATCH, SEED);
                 Sgd sgd = Sgd.builder().lr(0.01).build(net.paramSpace());
                 Trainer trainer = new Trainer(net, sgd, new LrSchedule.Constant(), 0.01,
                         new BatchLoader(train, BATCH, true, false, SEED, norm), new BatchLoader(test, BATCH, false, false, SEED, norm),
                         List.of(new TrainingListener() {
                             @Override
                             public void onEpochEnd(EpochEnd e) { epochEnds.add(trained.size()); }
                         }))) {
                trainer.run(EPOCHS);
            }
        }

        BatchLoader reference = new BatchLoader(train, BATCH, true, false, SEED, norm);
        List<List<List<Integer>>> seen = new ArrayList<>();
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            seen.add(trained.subList(epoch == 1 ? 0 : epochEnds.get(epoch - 2), epochEnds.get(epoch - 1)));
            assertEquals(batchesOf(reference, epoch), seen.getLast(), "epoch " + epoch + ": batches trained vs BatchLoader's order for epoch " + epoch);
            assertEquals(IntStream.range(0, IMAGES).boxed().toList(), seen.getLast().stream().flatMap(List::stream).sorted().toList(),
                    "epoch " + epoch + " trains on every image once");
        }
        assertEquals(EPOCHS, new HashSet<>(seen).size(), "every epoch has its own order: " + seen);
        assertNotEquals(batchesOf(reference, 0), seen.getFirst(), "the first epoch is not the order the loader starts in (epoch 0)");
    }

    /** {@code count} 1x2x2 images, image i of class i (so its label names it). */
    private static DatasetSplit indexed(String name, int count) {
        byte[] pixels = new byte[count * 4], labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) i;
            for (int k = 0; k < 4; k++) pixels[i * 4 + k] = (byte) (i * 13 + k * 51);
        }
        return new DatasetSplit(name, count, 1, 2, 2, IMAGES, pixels, labels);
    }

    /** The label order, batch by batch, of {@code loader}'s epoch {@code epoch}. */
    private static List<List<Integer>> batchesOf(BatchLoader loader, int epoch) {
        List<List<Integer>> batches = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(4L * BATCH * loader.imageFloats(), 64), labels = arena.allocate(4L * BATCH, 64);
            loader.startEpoch(epoch);
            int n;
            while ((n = loader.next(images, labels)) > 0) batches.add(classes(labels, n));
        }
        return batches;
    }

    private static List<Integer> classes(MemorySegment labels, int n) {
        return IntStream.range(0, n).mapToObj(i -> (int) labels.getAtIndex(ValueLayout.JAVA_FLOAT, i)).toList();
    }

    /**
     * {@code cpu}, adding to {@code into} the labels of every training loss (the one with a
     * gradient to write, dlogits not null), read from the backend before the loss runs.
     */
    private static Backend recordingTrainingLabels(CpuBackend cpu, List<List<Integer>> into) {
        // softmaxCrossEntropy lives on the loss family: WatchedBackend sees the calls on loss() too
        return WatchedBackend.of(cpu, (method, args, call) -> {
            if (method.getName().equals("softmaxCrossEntropy") && args[4] != null) {
                Tensor labels = (Tensor) args[1];
                int n = (Integer) args[2];
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment host = arena.allocate(4L * n, 64);
                    cpu.download(labels.firstRows(n), host);
                    into.add(classes(host, n));
                }
            }
            return call.proceed();
        });
    }
}
