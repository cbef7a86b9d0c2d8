// sparsestep: bitwise
// Pruning masks: one byte per prunable weight (1 = kept, 0 = pruned), laid out like the
// weights, so a mask costs a quarter of the parameters' memory. The ops a pruning method
// needs around a training step: apply a mask to weights or gradients in place, count what
// is kept, make a mask from weight magnitudes against a threshold, and DropPruning's
// stochastic drop-out / drop-in move.
//
// Element access is scalar on purpose: a warp's 32 one-byte mask loads fall in one 32-byte
// sector and its 32 float loads in four, so scalar loads already move whole sectors; the
// passes are memory bound at 1-9 bytes per element. The CPU twins are
// backend.cpu.CpuMaskOps; every result is exact (a select, a comparison, or an integer
// random number turned into a float exactly), so the two agree bit for bit.
//
// Launch (all four): 1-D, any grid (grid-stride), blockDim.x a multiple of 32, <= 1024
// (256 intended; the count reduces per block).

#include "common.cuh"

#include <math.h>

// ----------------------------------------------------------------------------
// mask_apply: x[i] = mask[i] != 0 ? x[i] : +0.0 (pruned entries become +0.0, never -0.0,
// as gRDA writes them; a kept NaN stays NaN).
// Bytes per element: 9 (read mask 1, read x 4, write x 4).
extern "C" __global__ void mask_apply(const unsigned char* mask, float* x, unsigned long long n) {
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        if (mask[i] == 0) x[i] = 0.0f;
    }
}

// ----------------------------------------------------------------------------
// mask_count_kept: *count += number of mask[i] != 0 (32-bit; the host zeroes it first).
// Bytes per element: 1. Per-thread count, block reduction, one atomic per block.
extern "C" __global__ void mask_count_kept(const unsigned char* mask, unsigned long long n, unsigned int* count) {
    unsigned kept = 0;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) kept += mask[i] != 0;
    block_count_into(kept, count);
}

// ----------------------------------------------------------------------------
// mask_from_magnitude: mask[i] = |x[i]| > threshold ? 1 : 0. Ties (|x| == threshold) are
// pruned; a NaN weight is kept (!(|x| <= threshold)), so a diverged weight stays visible
// instead of being masked away.
// Bytes per element: 5 (read x 4, write mask 1).
extern "C" __global__ void mask_from_magnitude(const float* x, unsigned long long n, float threshold, unsigned char* mask) {
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        mask[i] = !(fabsf(x[i]) <= threshold) ? 1 : 0;
    }
}

// ----------------------------------------------------------------------------
// mask_drop_step: one DropPruning move (ALGORITHMS.md 7) with counter-based random numbers
// (philox_uniform, common.cuh; the Java twin draws the same number per element):
//   kept (mask != 0) and not a survivor (survivors == 0, the candidates: the lowest-|w|
//   fraction), and u(stream 0) < p:  saved = w (when saved != NULL), w = +0.0, mask = 0
//   pruned before this move, and u(stream 1) < q:  mask = 1, w = saved (when saved != NULL)
//   or +0.0
// with u = philox_uniform(seed, index_base + i, round, stream). The streams differ, so a
// weight's drop-out and drop-in decisions are independent draws; an entry dropped in this
// move is not restored in it (the else). Everything else is left untouched, not rewritten.
// Bytes per element: 2 read always (mask, and survivors for kept entries: one sector per
// warp either way); a drop adds 5 (w and mask written) + 8 with saved (w read, saved
// written); a restore adds 5 (w and mask written) + 4 with saved (saved read). About 2.1 B
// at the authors'-style rates (alpha*p and q of a few percent). One Philox block (ten
// rounds, 20 integer multiplies) per entry that can change, far below the memory time.
extern "C" __global__ void mask_drop_step(float* w, unsigned char* mask, const unsigned char* survivors, float* saved,
                                          unsigned long long n, unsigned long long seed, unsigned long long round,
                                          unsigned long long index_base, float p, float q) {
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const u64 index = index_base + i;
        if (mask[i] != 0) {
            if (survivors[i] == 0 && philox_uniform(seed, index, round, 0u) < p) {
                if (saved != nullptr) saved[i] = w[i];
                w[i] = 0.0f;
                mask[i] = 0;
            }
        } else if (philox_uniform(seed, index, round, 1u) < q) {
            mask[i] = 1;
            w[i] = saved != nullptr ? saved[i] : 0.0f;
        }
    }
}
