// sparsestep: bitwise
// Pruning masks: one byte per prunable weight (1 = kept, 0 = pruned), laid out like the
// weights, so a mask costs a quarter of the parameters' memory. The ops a pruning method
// needs around a training step: apply a mask to weights or gradients in place, count what
// is kept, and make a mask from weight magnitudes against a threshold.
//
// Element access is scalar on purpose: a warp's 32 one-byte mask loads fall in one 32-byte
// sector and its 32 float loads in four, so scalar loads already move whole sectors; the
// passes are memory bound at 5-9 bytes per element. The CPU twins are
// backend.cpu.CpuMaskOps; every result is exact (a select or a comparison), so the two
// agree bit for bit.
//
// Launch (all three): 1-D, any grid (grid-stride), blockDim.x a multiple of 32, <= 1024
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
