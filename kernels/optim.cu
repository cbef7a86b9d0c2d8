// Fused optimizer steps: one pass over the parameters per step, each parameter's bytes
// sparsestep: bitwise
// touched exactly once. Every kernel here is memory bound by a wide margin (a handful of
// flops per 12-21 bytes), so the design is about bytes and wide transactions, not arithmetic.
//
// Bit-equality with the Java CPU twins (backend.cpu): every float multiply, add and
// subtract here is an explicit round-to-nearest intrinsic (__fmul_rn, __fadd_rn,
// __fsub_rn). nvcc never contracts those into an fma (and emits them as mul.rn/add.rn/
// sub.rn, which ptxas must not fuse either), so `acc - lr*g` rounds twice on the GPU
// exactly as Java's float `acc - lr * g` does. native-build/build.sh and
// PtxFreshnessTest check that optim.ptx contains no fma and no unrounded f32 mul/add/sub.
// The build never uses --use_fast_math, so subnormals are kept (no flush to zero), as in
// Java.
//
// Launch: 1-D, any grid (grid-stride loops), blockDim.x a multiple of 32 and <= 1024;
// intended blockDim 256, grid = min(ceil(n / 1024), 8 * SM count): one float4 per thread
// per sweep and one full-occupancy wave (fewer blocks also means fewer counter atomics).
// Buffers: w, g, acc (and m, mask, threshold) must be distinct, non-overlapping views.
// float4 paths run when all float pointers share their offset modulo 16 bytes (see
// common.cuh); the u8 mask and the threshold word do not take part in the split.

#include "common.cuh"

// ----------------------------------------------------------------------------
// gRDA step (Chao et al. 2020): acc -= lr*g; w = S_tau(acc) = sign(acc)*max(|acc|-tau, 0).
//
// Bytes per parameter: 16 = read g (4) + read acc (4) + write acc (4) + write w (4).
// w is never read: gRDA writes the weights from the accumulator, so a fused step costs no
// more than SGD with momentum (20 B) and less, because it does not load w.
//
// Soft threshold as `a > tau ? a - tau : (a < -tau ? a + tau : 0)`: for tau == 0 this is a
// itself for every a except -0.0, which becomes +0.0, so c = 0 gRDA reproduces SGD without
// momentum bit for bit (w = acc). A NaN accumulator writes w = NaN (not a pruned zero, so
// a diverged run never shows up as sparsity) and is not counted as a zero.
//
// zero_count (optional, may be NULL): adds the number of w elements written as exactly
// zero to *zero_count (unsigned 32-bit; the host zeroes it first). Counting here costs no
// bytes -- w is in registers already -- while a separate count_zeros pass would read all
// of w again (+4 B/param, +25% traffic). Per-thread count, block reduction by warp
// shuffles, one atomicAdd per block.
// Launch: any grid; blockDim.x a multiple of 32, <= 1024 (256 intended).

__device__ __forceinline__ float grda_accumulate(float acc, float g, float lr) {
    return __fsub_rn(acc, __fmul_rn(lr, g));
}

__device__ __forceinline__ float grda_soft_threshold(float a, float tau) {
    // a == a is false only for NaN, which passes through (as the Java twin's clamp does)
    return a > tau ? __fsub_rn(a, tau) : (a < -tau ? __fadd_rn(a, tau) : (a == a ? 0.0f : a));
}

extern "C" __global__ void grda_step(float* w, const float* g, float* acc, unsigned long long n,
                                     float lr, float tau, unsigned int* zero_count) {
    unsigned zeros = 0;
    for_each_split(n, float4_split(n, w, g, acc),
        [&](u64 i) {
            const float a = grda_accumulate(acc[i], g[i], lr);
            const float wi = grda_soft_threshold(a, tau);
            acc[i] = a;
            w[i] = wi;
            zeros += wi == 0.0f;
        },
        [&](u64 i) {
            const float4 g4 = *reinterpret_cast<const float4*>(g + i);
            float4 a4 = *reinterpret_cast<const float4*>(acc + i);
            a4.x = grda_accumulate(a4.x, g4.x, lr);
            a4.y = grda_accumulate(a4.y, g4.y, lr);
            a4.z = grda_accumulate(a4.z, g4.z, lr);
            a4.w = grda_accumulate(a4.w, g4.w, lr);
            float4 w4;
            w4.x = grda_soft_threshold(a4.x, tau);
            w4.y = grda_soft_threshold(a4.y, tau);
            w4.z = grda_soft_threshold(a4.z, tau);
            w4.w = grda_soft_threshold(a4.w, tau);
            *reinterpret_cast<float4*>(acc + i) = a4;
            *reinterpret_cast<float4*>(w + i) = w4;
            zeros += (w4.x == 0.0f) + (w4.y == 0.0f) + (w4.z == 0.0f) + (w4.w == 0.0f);
        });
    if (zero_count != nullptr) block_count_into(zeros, zero_count);  // uniform branch: barrier-safe
}

// ----------------------------------------------------------------------------
// SGD step, PyTorch semantics (torch.optim.SGD, foreach=False), in float32:
//   d = weight_decay != 0 ? g + weight_decay*w : g
//   if momentum != 0:
//       m = first_step ? d : momentum*m + (1 - dampening)*d
//       d = nesterov ? d + momentum*m : m
//   w = w - lr*d
// Each product and sum rounds separately, in this order; (1 - dampening) is computed in
// float once. Weight decay is skipped when it is 0, as PyTorch does (so a non-finite w
// with weight_decay 0 does not turn d into NaN).
//
// Bytes per parameter: with momentum 20 = read w, g, m (12) + write w, m (8); on the
// first step 16, because m is written from d without being read; without momentum 12 =
// read w, g + write w, and m is never touched (it may be NULL).
// Launch: any grid; blockDim.x a multiple of 32, <= 1024 (256 intended).

struct SgdHyper {
    float lr, momentum, keep, weight_decay;  // keep = 1 - dampening
    bool nesterov;
};

__device__ __forceinline__ float sgd_direction(float w, float g, const SgdHyper& h) {
    return h.weight_decay != 0.0f ? __fadd_rn(g, __fmul_rn(h.weight_decay, w)) : g;
}

// Updates m in place from d (first step: m = d) and returns the direction w moves along.
__device__ __forceinline__ float sgd_momentum(float d, float& m, bool first_step, const SgdHyper& h) {
    m = first_step ? d : __fadd_rn(__fmul_rn(h.momentum, m), __fmul_rn(h.keep, d));
    return h.nesterov ? __fadd_rn(d, __fmul_rn(h.momentum, m)) : m;
}

__device__ __forceinline__ float sgd_apply(float w, float d, const SgdHyper& h) {
    return __fsub_rn(w, __fmul_rn(h.lr, d));
}

// One element of the SGD rule above on gradient d (already gated by a masked step): the new
// w, with m updated in place when there is momentum.
__device__ __forceinline__ float sgd_update(float w, float d, float& m, bool with_momentum, bool first_step,
                                            const SgdHyper& h) {
    const float dir = sgd_direction(w, d, h);
    return sgd_apply(w, with_momentum ? sgd_momentum(dir, m, first_step, h) : dir, h);
}

// The walk every SGD-style step shares: for_each_split over w, g and m (m == NULL: no
// momentum, split over w and g only, m never touched), element_op(i, w, g, m&) returning
// the new w. On the first step m is not read (it starts from d). The float4 body loads
// the four lanes of w, g and m, applies element_op to each lane with its own index, and
// stores w and m back as float4.
template <typename ElementOp>
__device__ __forceinline__ void sgd_walk(float* w, const float* g, float* m, u64 n, bool first_step, ElementOp element_op) {
    if (m == nullptr) {
        for_each_split(n, float4_split(n, w, g),
            [&](u64 i) {
                float unused = 0.0f;
                w[i] = element_op(i, w[i], g[i], unused);
            },
            [&](u64 i) {
                float4 w4 = *reinterpret_cast<const float4*>(w + i);
                const float4 g4 = *reinterpret_cast<const float4*>(g + i);
                float unused = 0.0f;
                w4.x = element_op(i, w4.x, g4.x, unused);
                w4.y = element_op(i + 1, w4.y, g4.y, unused);
                w4.z = element_op(i + 2, w4.z, g4.z, unused);
                w4.w = element_op(i + 3, w4.w, g4.w, unused);
                *reinterpret_cast<float4*>(w + i) = w4;
            });
        return;
    }
    for_each_split(n, float4_split(n, w, g, m),
        [&](u64 i) {
            float mi = first_step ? 0.0f : m[i];
            w[i] = element_op(i, w[i], g[i], mi);
            m[i] = mi;
        },
        [&](u64 i) {
            float4 w4 = *reinterpret_cast<const float4*>(w + i);
            const float4 g4 = *reinterpret_cast<const float4*>(g + i);
            float4 m4 = first_step ? make_float4(0.0f, 0.0f, 0.0f, 0.0f) : *reinterpret_cast<const float4*>(m + i);
            w4.x = element_op(i, w4.x, g4.x, m4.x);
            w4.y = element_op(i + 1, w4.y, g4.y, m4.y);
            w4.z = element_op(i + 2, w4.z, g4.z, m4.z);
            w4.w = element_op(i + 3, w4.w, g4.w, m4.w);
            *reinterpret_cast<float4*>(w + i) = w4;
            *reinterpret_cast<float4*>(m + i) = m4;
        });
}

extern "C" __global__ void sgd_step(float* w, const float* g, float* m, unsigned long long n,
                                    float lr, float momentum, float dampening, float weight_decay,
                                    int nesterov, int first_step) {
    const SgdHyper h = {lr, momentum, __fsub_rn(1.0f, dampening), weight_decay, nesterov != 0};
    const bool with_momentum = momentum != 0.0f, first = first_step != 0;
    sgd_walk(w, g, with_momentum ? m : nullptr, n, first, [&](u64, float wi, float gi, float& mi) {
        return sgd_update(wi, gi, mi, with_momentum, first, h);
    });
}

// ----------------------------------------------------------------------------
// GSM step (Global Sparse Momentum SGD, Ding et al. 2019; the authors' gsm_train.py):
//   selected = |g*w| >= threshold            (the product rounded, then its absolute value)
//   d = (selected ? g : +0) + weight_decay*w  (weight decay skipped when 0, as sgd_step)
//   m = first_step ? d : momentum*m + d       (dampening 0, PyTorch's buffer)
//   d = nesterov ? d + momentum*m : m;  w = w - lr*d
// The threshold is the Q-th largest score (select.cu's radix select writes it on the device,
// so no host round trip sits between selection and step). Ties are kept (>=), as the
// authors' `>= topk(...).values[-1]`; a NaN score compares false and is never selected. An
// unselected weight still moves by its stale momentum and its decay, as in the authors'
// code. g is not modified; no mask is stored: the selection is recomputed every step.
//
// Bytes per parameter: 20 = read w, g, m (12) + write w, m (8), as sgd_step with momentum
// (16 on the first step, 12 without momentum); the score costs nothing, w and g are in
// registers already. The 4-byte threshold is read once per block by thread 0 into shared
// memory (one barrier), not once per element.
// Launch: any grid; blockDim.x a multiple of 32, <= 1024 (256 intended).

extern "C" __global__ void gsm_step(float* w, const float* g, float* m, const float* threshold, unsigned long long n,
                                    float lr, float momentum, float weight_decay, int nesterov, int first_step) {
    __shared__ float block_threshold;
    if (threadIdx.x == 0) block_threshold = *threshold;
    __syncthreads();  // every thread reaches it: no early return above
    const float th = block_threshold;
    const SgdHyper h = {lr, momentum, 1.0f, weight_decay, nesterov != 0};
    const bool with_momentum = momentum != 0.0f, first = first_step != 0;
    sgd_walk(w, g, with_momentum ? m : nullptr, n, first, [&](u64, float wi, float gi, float& mi) {
        const float gated = fabsf(__fmul_rn(gi, wi)) >= th ? gi : 0.0f;
        return sgd_update(wi, gated, mi, with_momentum, first, h);
    });
}

// ----------------------------------------------------------------------------
// Masked SGD step (every method with a fixed mask: gradual magnitude pruning, one-shot
// magnitude fine-tuning, DropPruning's retraining, GSM's exact-Q variant):
//   g' = mask[i] != 0 ? g : +0, then exactly sgd_step on g';
//   then, when zero_pruned, w = mask[i] != 0 ? w : +0.0
// so pruned weights stay exactly zero whatever their momentum and decay (with zero_pruned
// off they receive no gradient but still decay and coast, as torch.nn.utils.prune's
// reparametrised `orig` does). mask is u8, one byte per weight, any byte offset.
//
// Bytes per parameter: 21 = sgd_step's 20 + the mask byte (17 on the first step, 13 without
// momentum). The mask is read with one scalar byte load per element, also in the float4
// body: its address has no alignment relation to the floats' (any byte offset), and a
// warp's 128 mask bytes are whole sectors anyway.
// Launch: any grid; blockDim.x a multiple of 32, <= 1024 (256 intended).

extern "C" __global__ void masked_sgd_step(float* w, const float* g, float* m, const unsigned char* mask, unsigned long long n,
                                           float lr, float momentum, float dampening, float weight_decay,
                                           int nesterov, int first_step, int zero_pruned) {
    const SgdHyper h = {lr, momentum, __fsub_rn(1.0f, dampening), weight_decay, nesterov != 0};
    const bool with_momentum = momentum != 0.0f, first = first_step != 0, zero = zero_pruned != 0;
    sgd_walk(w, g, with_momentum ? m : nullptr, n, first, [&](u64 i, float wi, float gi, float& mi) {
        const bool kept = mask[i] != 0;
        const float updated = sgd_update(wi, kept ? gi : 0.0f, mi, with_momentum, first, h);
        return zero && !kept ? 0.0f : updated;
    });
}
