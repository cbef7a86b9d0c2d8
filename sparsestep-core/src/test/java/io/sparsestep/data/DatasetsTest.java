package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetsTest {

    @Test
    void listsTheKnownIds() {
        assertEquals(List.of("mnist", "cifar10", "cifar100", "synth-digits", "synth-cifar"), Datasets.ids());
    }

    @Test
    void unknownIdListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.load("imagenet", null, 1));
        assertTrue(e.getMessage().contains("imagenet"), e.getMessage());
        for (String id : Datasets.ids()) {
            assertTrue(e.getMessage().contains(id), e.getMessage());
        }
    }

    @Test
    void syntheticSetsNeedNoDirectoryAndHonourLimits() {
        TrainTest digits = Datasets.load("synth-digits", null, 4, 30, 20);
        assertEquals(30, digits.train().count());
        assertEquals(20, digits.test().count());
        TrainTest cifar = Datasets.load("SYNTH-CIFAR", null, 4, 25, 15);
        assertEquals(25, cifar.train().count());
        assertEquals(15, cifar.test().count());
        assertEquals(3, cifar.channels());
        // the shape known without loading is the loaded one
        assertEquals(Datasets.shape("synth-cifar"), Datasets.Shape.of(cifar));
        assertEquals(Datasets.shape("synth-digits"), Datasets.Shape.of(digits));
        // the generator behind the id, with the same seed
        assertArrayEquals(SynthCifar.generate(4, 25, 15).train().pixels(), cifar.train().pixels());
    }

    @Test
    void negativeLimitsAreRejectedNotTakenAsAll() {
        IllegalArgumentException train = assertThrows(IllegalArgumentException.class,
                () -> Datasets.load("synth-digits", null, 1, -5, 10));
        assertTrue(train.getMessage().contains("--train-samples") && train.getMessage().contains("-5"), train.getMessage());
        IllegalArgumentException test = assertThrows(IllegalArgumentException.class,
                () -> Datasets.load("mnist", null, 1, 0, -1));
        assertTrue(test.getMessage().contains("--test-samples") && test.getMessage().contains("-1"), test.getMessage());
    }
}
