// sparsestep: bitwise
// Vector ops over flat f32 ranges, for the analysis tools (loss between two parameter
// vectors, Hessian-vector products by gradient differences, norms of directions): axpy,
// add_scaled_sign (L1 subgradients), scale, and dot / squared-norm reductions in a fixed order.
//
// axpy and scale round each product and sum on its own (__fmul_rn, __fadd_rn), as Java's
// float arithmetic does, so they equal the CPU twins (backend.cpu.CpuVectorOps) bit for
// bit; the "sparsestep: bitwise" line above makes native-build/build.sh and
// PtxFreshnessTest refuse any fma or unrounded f32 arithmetic in this file's PTX.
//
// dot_partials + sum_partials reduce in a fixed order for a given launch: each thread
// sums its grid-stride elements in double (a float*float product is exact in double),
// blocks reduce in a fixed shuffle tree, each block writes its partial, and one thread
// adds the partials in block order. The grid follows from n and the device (the flat
// launch rule), so a result is reproducible run to run on one GPU; it differs from the
// CPU's fixed-chunk order only by double rounding (~n * 1e-16 relative).
//
// Launch (all five): 1-D, blockDim.x a multiple of 32, <= 1024 (256 intended); axpy,
// add_scaled_sign, scale and dot_partials any grid (grid-stride); sum_partials one block.

#include "common.cuh"

// ----------------------------------------------------------------------------
// axpy_f32: y = y + alpha*x.   Bytes per element: 12 (read x, read y, write y).
extern "C" __global__ void axpy_f32(float alpha, const float* x, float* y, unsigned long long n) {
    for_each_split(n, float4_split(n, x, y),
        [&](u64 i) { y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i])); },
        [&](u64 i) {
            const float4 x4 = *reinterpret_cast<const float4*>(x + i);
            float4 y4 = *reinterpret_cast<const float4*>(y + i);
            y4.x = __fadd_rn(y4.x, __fmul_rn(alpha, x4.x));
            y4.y = __fadd_rn(y4.y, __fmul_rn(alpha, x4.y));
            y4.z = __fadd_rn(y4.z, __fmul_rn(alpha, x4.z));
            y4.w = __fadd_rn(y4.w, __fmul_rn(alpha, x4.w));
            *reinterpret_cast<float4*>(y + i) = y4;
        });
}

// ----------------------------------------------------------------------------
// add_scaled_sign_f32: y = y + s*sign(x), sign(+-0) = 0, NaN stays NaN (network slimming's L1
// subgradient on batch-norm scales).   Bytes per element: 12 (read x, read y, write y).
__device__ __forceinline__ float sign_term(float s, float x) {
    return x > 0.0f ? s : x < 0.0f ? -s : x == 0.0f ? 0.0f : x;
}

extern "C" __global__ void add_scaled_sign_f32(float s, const float* x, float* y, unsigned long long n) {
    for_each_split(n, float4_split(n, x, y),
        [&](u64 i) { y[i] = __fadd_rn(y[i], sign_term(s, x[i])); },
        [&](u64 i) {
            const float4 x4 = *reinterpret_cast<const float4*>(x + i);
            float4 y4 = *reinterpret_cast<const float4*>(y + i);
            y4.x = __fadd_rn(y4.x, sign_term(s, x4.x));
            y4.y = __fadd_rn(y4.y, sign_term(s, x4.y));
            y4.z = __fadd_rn(y4.z, sign_term(s, x4.z));
            y4.w = __fadd_rn(y4.w, sign_term(s, x4.w));
            *reinterpret_cast<float4*>(y + i) = y4;
        });
}

// ----------------------------------------------------------------------------
// scale_f32: x = alpha*x.   Bytes per element: 8 (read x, write x).
extern "C" __global__ void scale_f32(float* x, unsigned long long n, float alpha) {
    for_each_split(n, float4_split(n, x),
        [&](u64 i) { x[i] = __fmul_rn(alpha, x[i]); },
        [&](u64 i) {
            float4 x4 = *reinterpret_cast<const float4*>(x + i);
            x4.x = __fmul_rn(alpha, x4.x);
            x4.y = __fmul_rn(alpha, x4.y);
            x4.z = __fmul_rn(alpha, x4.z);
            x4.w = __fmul_rn(alpha, x4.w);
            *reinterpret_cast<float4*>(x + i) = x4;
        });
}

// ----------------------------------------------------------------------------
// dot_partials: partials[blockIdx.x] = sum over this block's elements of x[i]*y[i], in
// double; y == NULL means y = x (the squared norm, one read per element).
// Bytes per element: 8 (read x, read y), 4 for a norm; plus 8 per block.
__device__ __forceinline__ double block_sum_f64(double v) {
    __shared__ double warp_sums[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v = __dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) v = __dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    __syncthreads();
    return v;
}

// sum + a*b in double: the product of two floats is exact in double, and the explicit
// __dmul_rn/__dadd_rn keep nvcc from writing an fma that the bitwise rule would refuse
// (it would give the same bits here, but the rule is simpler without exceptions).
__device__ __forceinline__ double product_into(double sum, float a, float b) {
    return __dadd_rn(sum, __dmul_rn((double)a, (double)b));
}

extern "C" __global__ void dot_partials(const float* x, const float* y, unsigned long long n, double* partials) {
    const float* other = y != nullptr ? y : x;
    double sum = 0.0;
    for_each_split(n, float4_split(n, x, other),
        [&](u64 i) { sum = product_into(sum, x[i], other[i]); },
        [&](u64 i) {
            const float4 a = *reinterpret_cast<const float4*>(x + i);
            const float4 b = *reinterpret_cast<const float4*>(other + i);
            sum = product_into(sum, a.x, b.x);
            sum = product_into(sum, a.y, b.y);
            sum = product_into(sum, a.z, b.z);
            sum = product_into(sum, a.w, b.w);
        });
    sum = block_sum_f64(sum);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// ----------------------------------------------------------------------------
// sum_partials: out[0] = partials[0] + partials[1] + ... in order (one thread: at most a
// few hundred partials, and a fixed order is the point).
extern "C" __global__ void sum_partials(const double* partials, unsigned int count, double* out) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    double sum = 0.0;
    for (unsigned i = 0; i < count; ++i) sum = __dadd_rn(sum, partials[i]);
    out[0] = sum;
}
