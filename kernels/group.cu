// sparsestep: bitwise
// Structured ops over the groups of a weight: the fused sDprun step (gRDA's accumulator
// with a group soft-threshold), per-group L1/L2 norms (L1 filter pruning's scores,
// Campfire's kernel scores) and a mask of one byte per group. The CPU twins are
// backend.cpu.CpuGroupOps; they replay the reduction order below, so the two agree bit
// for bit (the "sparsestep: bitwise" line above makes build.sh and PtxFreshnessTest refuse
// any fma or unrounded f32 arithmetic in this file's PTX).
//
// Groups. A conv weight [O, I, kh, kw] is seen as [O, I, K], K = kh*kw (a linear weight is
// [O, I, 1]). Element p (0 <= p < m) of group g sits at
//     (p / seg) * stride + g * seg + p % seg
// filters:  groups = O,   m = I*K, seg = m               (contiguous rows)
// kernels:  groups = O*I, m = K,   seg = m               (contiguous k*k kernels)
// channels: groups = I,   m = O*K, seg = K, stride = I*K (O runs of K, strided)
// Indices are 32-bit: the Java side refuses tensors of 2^31 elements or more.
//
// Reduction order (fixed by m alone, so a result never depends on the grid or device):
// sums are in double of exact terms (a float*float product and |x| are exact in double),
// every add an explicit __dadd_rn.
//  - m <= GROUP_SEQUENTIAL_MAX: one thread per group sums p = 0..m-1 in order.
//  - m >  GROUP_SEQUENTIAL_MAX: one block per group; thread t keeps four sums s0..s3,
//    element p going to s[p & 3] of thread (p >> 2) % blockDim.x, in increasing p (so a
//    float4 load is one thread's four consecutive elements); a thread's total is
//    (s0 + s1) + (s2 + s3); then a xor-shuffle tree over each warp and one over the warp
//    totals (group_block_sum_f64). The CPU twin replays this for blockDim.x = 256, the
//    block every launch from Java uses (another block size is correct, in another order).
//
// Launch: blockDim.x a multiple of 32, <= 1024 (256 from Java, see above). Any grid. The
// sDprun step has an entry point per order: group_sdprun_step_small (m <= 32) strides
// threads over groups (Java: min(ceil(groups/256), 8*SMs) blocks), group_sdprun_step
// (m > 32) strides blocks over groups (Java: one block per group); group_norms takes the
// branch on m itself, uniformly over the launch, so every barrier is reached by the whole
// block. group_mask_apply is a flat grid-stride loop (Java: min(ceil(n/1024), 8*SMs)).

#include "common.cuh"

#include <math.h>

#define GROUP_SEQUENTIAL_MAX 32u

struct GroupShape {
    unsigned groups, m, seg, stride;

    __device__ __forceinline__ unsigned elem(unsigned g, unsigned p) const {
        if (seg == m) return g * m + p;
        return (p / seg) * stride + g * seg + p % seg;
    }
    // float4 for a block's group: contiguous groups of a multiple of 4 elements (then every
    // group starts on a 16-byte boundary when the base does) and 16-byte aligned pointers.
    __device__ __forceinline__ bool vectorizable() const { return seg == m && (m & 3u) == 0u; }
};

__device__ __forceinline__ bool group_aligned16(const void* p) { return p == nullptr || ((uintptr_t)p & 15u) == 0u; }

// Sum of v over the block, returned to every thread. Every thread must call it. The warp
// trees are xor butterflies, so lane 0 of each warp holds the pairwise sum (v0 + v16) +
// (v8 + v24) ...; warp 0 then does the same over the warp totals (zeros beyond the last
// warp, exact for the non-negative sums here). The second barrier keeps a fast warp from
// overwriting the slots before everyone has read the total, so it can be called in a loop.
__device__ __forceinline__ double group_block_sum_f64(double v) {
    __shared__ double warp_sums[32];
    __shared__ double total;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v = __dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) v = __dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, offset));
        if (lane == 0) total = v;
    }
    __syncthreads();
    return total;
}

// The term of one element: its square (L2, sDprun) or its magnitude (L1), exact in double.
__device__ __forceinline__ double group_square(float a) { return __dmul_rn((double)a, (double)a); }

__device__ __forceinline__ double group_magnitude(float a) { return (double)fabsf(a); }

// Group gi's sum in the sequential order (m <= GROUP_SEQUENTIAL_MAX, one thread):
// term(e) is the double term of element e.
template <typename Term>
__device__ __forceinline__ double group_sequential_sum(const GroupShape& s, unsigned gi, Term term) {
    double sum = 0.0;
    for (unsigned p = 0; p < s.m; ++p) sum = __dadd_rn(sum, term(s.elem(gi, p)));
    return sum;
}

// Group gi's sum in the block order (every thread of the block calls it): this thread's
// four sums over its elements p = 4*threadIdx.x + c + 4*blockDim.x*r, then the block tree.
// term(e) is element e's term; terms4(e, t) the terms of the four elements from e, read as
// one float4 (only when vec: contiguous groups of a multiple of 4, aligned pointers).
template <typename Term, typename Terms4>
__device__ __forceinline__ double group_block_sum(const GroupShape& s, unsigned gi, bool vec, Term term, Terms4 terms4) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    const unsigned sweep = 4u * blockDim.x;
    for (unsigned base = 4u * threadIdx.x; base < s.m; base += sweep) {
        if (vec) {
            double t[4];
            terms4(gi * s.m + base, t);
            s0 = __dadd_rn(s0, t[0]);
            s1 = __dadd_rn(s1, t[1]);
            s2 = __dadd_rn(s2, t[2]);
            s3 = __dadd_rn(s3, t[3]);
        } else {
            // the same four sums, one element at a time
            if (base < s.m) s0 = __dadd_rn(s0, term(s.elem(gi, base)));
            if (base + 1 < s.m) s1 = __dadd_rn(s1, term(s.elem(gi, base + 1)));
            if (base + 2 < s.m) s2 = __dadd_rn(s2, term(s.elem(gi, base + 2)));
            if (base + 3 < s.m) s3 = __dadd_rn(s3, term(s.elem(gi, base + 3)));
        }
    }
    return group_block_sum_f64(__dadd_rn(__dadd_rn(s0, s1), __dadd_rn(s2, s3)));
}

// ----------------------------------------------------------------------------
// group_sdprun_step: the fused sDprun step over one weight tensor.
//   pass 1: acc -= lr*g (two roundings, as grda_step) and S_G = sum of acc^2 per group;
//   pass 2: w = acc * f in float, f = ||acc_G|| <= threshold ? 0 : 1 - threshold/||acc_G||
//           (threshold = lambda_G * tau) computed in double and rounded once to float: one
//           factor in [0, 1] for the whole group, so w_G is acc_G shrunk along its own
//           direction (each element rounded once).
// A pruned group (an all-zero accumulator included: 0 <= threshold) and every other zero
// written is +0.0. A NaN makes S NaN, which never prunes: the group comes out NaN, so a
// diverged run never shows up as sparsity. Groups of one element take gRDA's soft
// threshold itself (the scale form would round differently), so group size 1 is gRDA bit
// for bit. sum_squares[g] = S in double (optional: a test can see the reduction order in
// it, which a float would round away), zero_count += zeros written to w (optional).
//
// Bytes per parameter: 16 from DRAM, as grda_step: read g and acc (8), write acc and w (8);
// plus pass 2's re-read of acc (4), which the block wrote a moment before, so it comes from
// L2 (a 4096-float row is 16 KiB; a wave of 8 blocks on each of 132 SMs holds 17 MiB, below
// the H200's 50 MiB L2), and 8 per group for sum_squares. State: acc, 4 bytes per
// parameter, as gRDA. One block per group (m > 32) leaves the parallelism to the group
// count: thousands of filters or rows in the large layers; a layer with few groups is a
// small layer.

__device__ __forceinline__ float group_soft_threshold(float a, float t) {
    // grda_step's formula: NaN passes through, a zero is +0.0
    return a > t ? __fsub_rn(a, t) : (a < -t ? __fadd_rn(a, t) : (a == a ? 0.0f : a));
}

// The group's factor: 0 prunes it; NaN (a NaN in the group) is not <= anything, so it
// passes through. threshold 0 gives exactly 1, so w = acc (c = 0 is SGD).
__device__ __forceinline__ float group_shrink_factor(double sum_squares, float threshold) {
    const double norm = sqrt(sum_squares);
    return norm <= (double)threshold ? 0.0f : (float)__dadd_rn(1.0, -((double)threshold / norm));
}

// a * f, one float rounding; + 0.0f turns a -0.0 product into +0.0 (as gRDA writes zeros)
// and leaves every other value, NaN included, as it is.
__device__ __forceinline__ float group_scaled(float a, float f) {
    return __fadd_rn(__fmul_rn(a, f), 0.0f);
}

__device__ __forceinline__ float group_accumulate(float acc, float g, float lr) {
    return __fsub_rn(acc, __fmul_rn(lr, g));
}

// w[e] = acc[e] * factor (see group_scaled); returns 1 when it wrote a zero
__device__ __forceinline__ unsigned group_scale_at(float* w, const float* acc, unsigned e, float factor) {
    const float wi = group_scaled(acc[e], factor);
    w[e] = wi;
    return wi == 0.0f;
}

// Two entry points, chosen by the host from m, so that each gets the registers of its own
// loop only (the block one fits in 32 on sm_90: full occupancy).

// m <= GROUP_SEQUENTIAL_MAX: one thread per group, the sequential order.
extern "C" __global__ void group_sdprun_step_small(float* w, const float* g, float* acc, unsigned groups, unsigned m,
                                                   unsigned seg, unsigned stride, float lr, float threshold,
                                                   double* sum_squares, unsigned* zero_count) {
    const GroupShape s = {groups, m, seg, stride};
    unsigned zeros = 0;
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 gi = (u64)blockIdx.x * blockDim.x + threadIdx.x; gi < groups; gi += step) {
        const double sum = group_sequential_sum(s, (unsigned)gi, [&](unsigned e) {
            const float a = group_accumulate(acc[e], g[e], lr);
            acc[e] = a;
            return group_square(a);
        });
        if (m == 1) {
            const unsigned e = s.elem((unsigned)gi, 0);
            const float wi = group_soft_threshold(acc[e], threshold);
            w[e] = wi;
            zeros += wi == 0.0f;
        } else {
            const float factor = group_shrink_factor(sum, threshold);
            for (unsigned p = 0; p < m; ++p) zeros += group_scale_at(w, acc, s.elem((unsigned)gi, p), factor);
        }
        if (sum_squares != nullptr) sum_squares[gi] = sum;
    }
    if (zero_count != nullptr) block_count_into(zeros, zero_count);  // uniform branch: barrier-safe
}

// m > GROUP_SEQUENTIAL_MAX: one block per group, the block order.
extern "C" __global__ void group_sdprun_step(float* w, const float* g, float* acc, unsigned groups, unsigned m,
                                             unsigned seg, unsigned stride, float lr, float threshold,
                                             double* sum_squares, unsigned* zero_count) {
    const GroupShape s = {groups, m, seg, stride};
    unsigned zeros = 0;
    const bool vec = s.vectorizable() && group_aligned16(w) && group_aligned16(g) && group_aligned16(acc);
    const unsigned sweep = 4u * blockDim.x;
    for (unsigned gi = blockIdx.x; gi < groups; gi += gridDim.x) {
        const double sum = group_block_sum(s, gi, vec,
            [&](unsigned e) {
                const float a = group_accumulate(acc[e], g[e], lr);
                acc[e] = a;
                return group_square(a);
            },
            [&](unsigned e, double* t) {
                const float4 g4 = *reinterpret_cast<const float4*>(g + e);
                float4 a4 = *reinterpret_cast<const float4*>(acc + e);
                a4.x = group_accumulate(a4.x, g4.x, lr);
                a4.y = group_accumulate(a4.y, g4.y, lr);
                a4.z = group_accumulate(a4.z, g4.z, lr);
                a4.w = group_accumulate(a4.w, g4.w, lr);
                *reinterpret_cast<float4*>(acc + e) = a4;
                t[0] = group_square(a4.x);
                t[1] = group_square(a4.y);
                t[2] = group_square(a4.z);
                t[3] = group_square(a4.w);
            });
        const float factor = group_shrink_factor(sum, threshold);
        // pass 2: this thread re-reads the accumulator values it just wrote (L2, not DRAM)
        for (unsigned base = 4u * threadIdx.x; base < m; base += sweep) {
            if (vec) {
                const unsigned e = gi * m + base;
                const float4 a4 = *reinterpret_cast<const float4*>(acc + e);
                float4 w4;
                w4.x = group_scaled(a4.x, factor);
                w4.y = group_scaled(a4.y, factor);
                w4.z = group_scaled(a4.z, factor);
                w4.w = group_scaled(a4.w, factor);
                *reinterpret_cast<float4*>(w + e) = w4;
                zeros += (w4.x == 0.0f) + (w4.y == 0.0f) + (w4.z == 0.0f) + (w4.w == 0.0f);
            } else {
                for (unsigned c = 0; c < 4u && base + c < m; ++c) zeros += group_scale_at(w, acc, s.elem(gi, base + c), factor);
            }
        }
        if (threadIdx.x == 0 && sum_squares != nullptr) sum_squares[gi] = sum;
    }
    if (zero_count != nullptr) block_count_into(zeros, zero_count);  // uniform branch: barrier-safe
}

// ----------------------------------------------------------------------------
// group_norms: norms[g] = sum |x| (l2 == 0) or sqrt(sum x^2) (l2 != 0) over group g, in
// double, in the reduction order above (the same traversal code as the sDprun step),
// rounded once to float. Threads over groups for m <= 32, one block per group above.
// Bytes per element: 4 (read x), plus 4 per group written.
extern "C" __global__ void group_norms(const float* x, unsigned groups, unsigned m, unsigned seg, unsigned stride,
                                       int l2, float* norms) {
    const GroupShape s = {groups, m, seg, stride};
    const bool squares = l2 != 0;
    auto term = [&](unsigned e) { return squares ? group_square(x[e]) : group_magnitude(x[e]); };
    if (m <= GROUP_SEQUENTIAL_MAX) {
        const u64 step = (u64)gridDim.x * blockDim.x;
        for (u64 gi = (u64)blockIdx.x * blockDim.x + threadIdx.x; gi < groups; gi += step) {
            const double sum = group_sequential_sum(s, (unsigned)gi, term);
            norms[gi] = (float)(squares ? sqrt(sum) : sum);
        }
        return;  // no barrier on this path: the branch on m is uniform
    }
    const bool vec = s.vectorizable() && group_aligned16(x);
    for (unsigned gi = blockIdx.x; gi < groups; gi += gridDim.x) {
        const double sum = group_block_sum(s, gi, vec, term, [&](unsigned e, double* t) {
            const float4 x4 = *reinterpret_cast<const float4*>(x + e);
            t[0] = squares ? group_square(x4.x) : group_magnitude(x4.x);
            t[1] = squares ? group_square(x4.y) : group_magnitude(x4.y);
            t[2] = squares ? group_square(x4.z) : group_magnitude(x4.z);
            t[3] = squares ? group_square(x4.w) : group_magnitude(x4.w);
        });
        if (threadIdx.x == 0) norms[gi] = (float)(squares ? sqrt(sum) : sum);
    }
}

// ----------------------------------------------------------------------------
// group_mask_apply: x[e] = mask[group of e] != 0 ? x[e] : +0.0, in place; the group of
// element e is (e / seg) % period (contiguous groups: seg = m, period = groups; channels:
// seg = K, period = I). Kept elements are not touched.
// Bytes per element: 0 for a kept element, 4 written for a pruned one, plus the group's
// mask byte (one per group, cached). Scalar accesses: only pruned elements are written.
extern "C" __global__ void group_mask_apply(const unsigned char* mask, float* x, unsigned n, unsigned seg, unsigned period) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 e = (u64)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += step) {
        if (mask[((unsigned)e / seg) % period] == 0) x[e] = 0.0f;  // e < n < 2^31: 32-bit division
    }
}
