// Shared device helpers for sparsestep's kernels: the float4 split of a flat range, the
// grid-stride loop over it, block reductions, and the Philox counter-based generator. Every kernels/*.cu includes this file;
// native-build/build.sh hashes it together with each .cu, so editing it makes every PTX
// stale until rebuilt.
//
// Block-size contract for every kernel that reduces (grda_step with a counter,
// count_zeros, bias_grad, softmax_xent): blockDim.x is a multiple of 32 and at most 1024,
// because the reductions shuffle across full warps and keep one shared slot per warp.
// The grid-stride kernels are correct for any gridDim.x >= 1.
#pragma once

#include <stdint.h>

typedef unsigned long long u64;

// ----------------------------------------------------------------------------
// float4 split of [0, n)
//
// The Java side hands us views at arbitrary float offsets into its buffers, so a pointer
// is only guaranteed 4-byte aligned. When every pointer of a kernel sits at the same
// offset modulo 16 bytes (always true for views at equal offsets into cudaMalloc'd
// buffers, which are 256-byte aligned), we peel 0-3 scalar elements off the front so the
// rest is 16-byte aligned and move it with 128-bit loads/stores; a 0-3 element scalar tail
// finishes. When the pointers disagree, head = n and the whole range goes scalar: still
// correct, just more load/store instructions for the same bytes.
struct Float4Split {
    u64 head;     // elements [0, head) are scalar
    u64 count4;   // float4s covering [head, head + 4*count4); the rest is the scalar tail
};

__device__ __forceinline__ unsigned misalignment16(const void* p) {
    return (unsigned)((uintptr_t)p & 15u);
}

// Pointers that are null (an absent optional buffer) do not constrain the split.
__device__ __forceinline__ Float4Split float4_split(u64 n, const void* p0, const void* p1 = nullptr,
                                                    const void* p2 = nullptr) {
    const unsigned m = misalignment16(p0);
    const bool agree = (m & 3u) == 0u
                       && (p1 == nullptr || misalignment16(p1) == m)
                       && (p2 == nullptr || misalignment16(p2) == m);
    Float4Split s;
    if (!agree) {
        s.head = n;
        s.count4 = 0;
        return s;
    }
    u64 head = ((16u - m) & 15u) >> 2;
    if (head > n) head = n;
    s.head = head;
    s.count4 = (n - head) >> 2;
    return s;
}

// Grid-stride walk over a Float4Split: scalar_op(i) for each scalar element i, vector_op(i)
// for each aligned group of four starting at element i. Consecutive threads touch
// consecutive float4s, so a warp moves 512 contiguous bytes per iteration.
template <typename ScalarOp, typename VectorOp>
__device__ __forceinline__ void for_each_split(u64 n, Float4Split s, ScalarOp scalar_op, VectorOp vector_op) {
    const u64 start = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = start; i < s.head; i += stride) scalar_op(i);
    for (u64 k = start; k < s.count4; k += stride) vector_op(s.head + 4 * k);
    for (u64 i = s.head + 4 * s.count4 + start; i < n; i += stride) scalar_op(i);
}

// ----------------------------------------------------------------------------
// Reductions (blockDim.x a multiple of 32, at most 1024)

__device__ __forceinline__ unsigned warp_sum_u32(unsigned v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_sum_f32(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Sum of v over the block, valid in thread 0. Every thread of the block must call it. The
// closing barrier lets a block call it again in a loop (bias_grad's channel loop) without
// a warp overwriting a slot that warp 0 has not read yet.
__device__ __forceinline__ unsigned block_sum_u32(unsigned v) {
    __shared__ unsigned warp_sums[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    v = warp_sum_u32(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x >> 5) ? warp_sums[lane] : 0u;
        v = warp_sum_u32(v);
    }
    __syncthreads();
    return v;
}

__device__ __forceinline__ float block_sum_f32(float v) {
    __shared__ float warp_sums[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    v = warp_sum_f32(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x >> 5) ? warp_sums[lane] : 0.0f;
        v = warp_sum_f32(v);
    }
    __syncthreads();
    return v;
}

// Adds a per-thread count into *counter with one atomic per block (none when the block
// counted nothing), instead of one per element or per thread.
__device__ __forceinline__ void block_count_into(unsigned per_thread, unsigned* counter) {
    const unsigned total = block_sum_u32(per_thread);
    if (threadIdx.x == 0 && total != 0u) atomicAdd(counter, total);
}

// ----------------------------------------------------------------------------
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011; Random123's philox4x32 with 10 rounds, also cuRAND's): a random number is a
// pure function of a 128-bit counter and a 64-bit key, so thread i draws element i's
// number with no generator state, and the Java twin (backend.Philox) draws the same one.
// A round: two 32x32 -> 64-bit products of counter words 0 and 2, their high halves xored
// with counter words 1 and 3 and the key, the low halves carried; the key is bumped by the
// Weyl constants between rounds. Each product is __umulhi (high 32 bits, mul.hi.u32) and
// a 32-bit multiply (low 32 bits); the host shim defines __umulhi from a 64-bit product.
// native-build/emulate/kernel_logic_check.cpp checks this against Random123's known answers.
struct Philox4x32 {
    unsigned v[4];
};

__device__ __forceinline__ Philox4x32 philox4x32_10(unsigned c0, unsigned c1, unsigned c2, unsigned c3, unsigned k0, unsigned k1) {
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += 0x9E3779B9u;  // golden ratio
            k1 += 0xBB67AE85u;  // sqrt(3) - 1
        }
        const unsigned n0 = __umulhi(0xCD9E8D57u, c2) ^ c1 ^ k0, n2 = __umulhi(0xD2511F53u, c0) ^ c3 ^ k1;
        c1 = 0xCD9E8D57u * c2;  // the low halves: 32-bit products, modulo 2^32
        c3 = 0xD2511F53u * c0;
        c0 = n0;
        c2 = n2;
    }
    Philox4x32 out;
    out.v[0] = c0;
    out.v[1] = c1;
    out.v[2] = c2;
    out.v[3] = c3;
    return out;
}

// sparsestep's draw for element `index` of draw `round` on `stream`, keyed by `seed`:
// counter (low 32 bits of index, high 32 bits of index, low 32 bits of round, stream), key
// (low, high 32 bits of seed); word 0 mapped to [0, 1) as (word >> 8) * 2^-24, exact in
// float (24 bits), so u < p compares the same on every machine.
__device__ __forceinline__ float philox_uniform(u64 seed, u64 index, u64 round, unsigned stream) {
    const Philox4x32 r = philox4x32_10((unsigned)index, (unsigned)(index >> 32), (unsigned)round, stream, (unsigned)seed,
                                       (unsigned)(seed >> 32));
    return __fmul_rn((float)(r.v[0] >> 8), 0x1p-24f);
}
