package io.sparsestep.backend.cuda;

/**
 * Grid and block of a 1-D launch. Every sparsestep kernel loops grid-stride, so any grid
 * of at least one block is correct; the rule only decides speed. Flat kernels (fill, add,
 * relu, count_zeros, add_bias, the optimizer steps) move one float4 per thread per sweep
 * and stop growing the grid at one full-occupancy wave, 8 blocks of 256 per SM, which also
 * bounds the per-block atomics of the counting kernels. Row kernels (softmax_xent,
 * bias_grad) take one block per row or channel.
 */
public record LaunchConfig(int gridX, int blockX) {
    public static final int BLOCK = 256;
    /** Elements one thread handles per sweep (one float4). */
    public static final int ELEMENTS_PER_THREAD = 4;
    public static final int BLOCKS_PER_SM = 8;
    /** Rows per launch is capped only by CUDA's grid limit; the kernels stride over the rest. */
    static final int MAX_GRID_X = Integer.MAX_VALUE;

    public LaunchConfig {
        if (gridX < 1 || blockX < 1) throw new IllegalArgumentException("launch needs grid and block >= 1, got " + gridX + "x" + blockX);
    }

    /** grid = min(ceil(n / 1024), 8 * SMs), at least 1; block 256. */
    public static LaunchConfig flat(long elements, int multiprocessors) {
        if (elements < 0) throw new IllegalArgumentException("negative element count " + elements);
        long perBlock = (long) BLOCK * ELEMENTS_PER_THREAD;
        long blocks = Math.ceilDiv(elements, perBlock);
        long wave = (long) Math.max(1, multiprocessors) * BLOCKS_PER_SM;
        return new LaunchConfig((int) Math.max(1, Math.min(blocks, wave)), BLOCK);
    }

    /** One block of 256 per row (softmax_xent) or channel (bias_grad). */
    public static LaunchConfig perRow(int rows) {
        return new LaunchConfig(Math.max(1, Math.min(rows, MAX_GRID_X)), BLOCK);
    }
}
