package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AugmentationTest {
    @Test
    void theDefaultFollowsTheChannels() {
        assertEquals(Augmentation.CROP_FLIP, Augmentation.resolve(null, 3), "CIFAR");
        assertEquals(Augmentation.NONE, Augmentation.resolve(null, 1), "digits: a mirrored digit is often no digit");
    }

    @Test
    void anExplicitChoiceWinsOnAnyData() {
        assertEquals(Augmentation.NONE, Augmentation.resolve("none", 3));
        assertEquals(Augmentation.CROP_FLIP, Augmentation.resolve("crop-flip", 1), "allowed on 1-channel data (Fashion-MNIST)");
        assertEquals("crop-flip", Augmentation.CROP_FLIP.option());
    }

    @Test
    void anUnknownNameIsOneLineWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("flip"));
        assertEquals("--augment 'flip' is not known; choose none or crop-flip", e.getMessage());
    }
}
