package io.sparsestep.data;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What {@code --augment} chooses for the training images: nothing, or {@link CropFlip} (pad 4,
 * random crop, random horizontal flip). Without the option, 3-channel data (CIFAR) gets
 * crop-flip and 1-channel data (digits) none: a mirrored digit is often no digit. Crop-flip is
 * still allowed on 1-channel data when asked for, since a 1-channel IDX set need not hold
 * digits (Fashion-MNIST reads as {@code mnist} and is mirrored as a rule).
 */
public enum Augmentation {
    NONE("none"),
    CROP_FLIP("crop-flip");

    private final String option;

    Augmentation(String option) {
        this.option = option;
    }

    /** The spelling on the command line and in summary.json. */
    public String option() {
        return option;
    }

    /** The augmentation named {@code option}, or the default for {@code channels} when it is null. */
    public static Augmentation resolve(String option, int channels) {
        if (option != null) return parse(option);
        return channels == 3 ? CROP_FLIP : NONE;
    }

    /** @throws IllegalArgumentException with one line naming {@code --augment} and the choices */
    public static Augmentation parse(String option) {
        for (Augmentation a : values()) {
            if (a.option.equals(option)) return a;
        }
        throw new IllegalArgumentException("--augment '" + option + "' is not known; choose "
                + Arrays.stream(values()).map(Augmentation::option).collect(Collectors.joining(" or ")));
    }
}
