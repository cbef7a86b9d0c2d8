package io.sparsestep.nn;

import java.util.Random;

/** How a parameter starts. Drawn on the host from the network seed, so every backend starts equal. */
public enum Init {
    /** He et al.: N(0, 2/fanIn), for weights followed by ReLU. */
    KAIMING_NORMAL,
    ZEROS,
    ONES;

    void fill(float[] dst, int fanIn, Random rng) {
        switch (this) {
            case ZEROS -> java.util.Arrays.fill(dst, 0f);
            case ONES -> java.util.Arrays.fill(dst, 1f);
            case KAIMING_NORMAL -> {
                double std = Math.sqrt(2.0 / fanIn);
                for (int i = 0; i < dst.length; i++) dst[i] = (float) (rng.nextGaussian() * std);
            }
        }
    }
}
