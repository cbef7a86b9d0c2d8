// Elementwise kernels and the per-channel bias pair. All of them are memory bound: the
// arithmetic per element is one add, compare or select, so each kernel is one pass that
// moves the minimum bytes, with float4 (128-bit) transactions where alignment allows.
//
// Launch for the flat kernels (fill_f32, add_f32, count_zeros, relu_forward,
// relu_backward): 1-D, any grid (grid-stride loops), blockDim.x a multiple of 32 and
// <= 1024; intended blockDim 256, grid = min(ceil(n / 1024), 8 * SM count), i.e. one float4
// per thread per sweep, at most one full-occupancy wave.
// In-place use is allowed where noted: each thread reads an element before it writes that
// same element and no other thread touches it, so out == input is safe.

#include "common.cuh"

// ----------------------------------------------------------------------------
// fill_f32: x[i] = v.
// Bytes per element: 4 (write x). Launch: flat rule above.
extern "C" __global__ void fill_f32(float* x, unsigned long long n, float v) {
    const float4 v4 = make_float4(v, v, v, v);
    for_each_split(n, float4_split(n, x),
        [&](u64 i) { x[i] = v; },
        [&](u64 i) { *reinterpret_cast<float4*>(x + i) = v4; });
}

// ----------------------------------------------------------------------------
// add_f32: out = a + b. out may be a or b.
// Bytes per element: 12 (read a, read b, write out). Launch: flat rule above.
extern "C" __global__ void add_f32(const float* a, const float* b, float* out, unsigned long long n) {
    for_each_split(n, float4_split(n, a, b, out),
        [&](u64 i) { out[i] = a[i] + b[i]; },
        [&](u64 i) {
            const float4 a4 = *reinterpret_cast<const float4*>(a + i);
            const float4 b4 = *reinterpret_cast<const float4*>(b + i);
            *reinterpret_cast<float4*>(out + i) = make_float4(a4.x + b4.x, a4.y + b4.y, a4.z + b4.z, a4.w + b4.w);
        });
}

// ----------------------------------------------------------------------------
// count_zeros: *count += number of x[i] == 0 (+0 and -0 count, NaN does not). The host
// zeroes *count first; 32-bit, so at most 2^32 - 1 zeros per count.
// Bytes per element: 4 (read x). Per-thread count in a register, block reduction by warp
// shuffles, one atomicAdd per block: the atomics stay at one per block however large n is.
// Launch: flat rule above (blockDim a multiple of 32 is required here).
extern "C" __global__ void count_zeros(const float* x, unsigned long long n, unsigned int* count) {
    unsigned zeros = 0;
    for_each_split(n, float4_split(n, x),
        [&](u64 i) { zeros += x[i] == 0.0f; },
        [&](u64 i) {
            const float4 x4 = *reinterpret_cast<const float4*>(x + i);
            zeros += (x4.x == 0.0f) + (x4.y == 0.0f) + (x4.z == 0.0f) + (x4.w == 0.0f);
        });
    block_count_into(zeros, count);
}

// ----------------------------------------------------------------------------
// relu_forward: y = max(x, 0) with the Java twin's Math.max semantics: NaN stays NaN (a
// diverged network must not be silently zeroed here and keep a finite loss), -0 becomes +0.
// y may be x.
// Bytes per element: 8 (read x, write y). Launch: flat rule above.
__device__ __forceinline__ float relu(float x) { return (x > 0.0f || x != x) ? x : 0.0f; }

extern "C" __global__ void relu_forward(const float* x, float* y, unsigned long long n) {
    for_each_split(n, float4_split(n, x, y),
        [&](u64 i) { y[i] = relu(x[i]); },
        [&](u64 i) {
            const float4 x4 = *reinterpret_cast<const float4*>(x + i);
            *reinterpret_cast<float4*>(y + i) = make_float4(relu(x4.x), relu(x4.y), relu(x4.z), relu(x4.w));
        });
}

// ----------------------------------------------------------------------------
// relu_backward: dx = y > 0 ? dy : 0, from the forward output y (y > 0 exactly where
// x > 0, so the input need not be kept). dx may be dy.
// Bytes per element: 12 (read y, read dy, write dx). Launch: flat rule above.
__device__ __forceinline__ float relu_grad(float y, float dy) { return y > 0.0f ? dy : 0.0f; }

extern "C" __global__ void relu_backward(const float* y, const float* dy, float* dx, unsigned long long n) {
    for_each_split(n, float4_split(n, y, dy, dx),
        [&](u64 i) { dx[i] = relu_grad(y[i], dy[i]); },
        [&](u64 i) {
            const float4 y4 = *reinterpret_cast<const float4*>(y + i);
            const float4 d4 = *reinterpret_cast<const float4*>(dy + i);
            *reinterpret_cast<float4*>(dx + i) = make_float4(relu_grad(y4.x, d4.x), relu_grad(y4.y, d4.y),
                                                             relu_grad(y4.z, d4.z), relu_grad(y4.w, d4.w));
        });
}

// ----------------------------------------------------------------------------
// add_bias: y[i,c,s] += bias[c] for y of shape [n, channels, spatial] (NCHW with
// spatial = H*W; a Linear layer's [n, out] is spatial = 1).
// Bytes per element: 8 (read y, write y); bias is channels*4 bytes in total and stays in
// L1/L2. Flat grid-stride over all n*channels*spatial elements so any shape (spatial 1
// or 50176) keeps every thread busy and every warp's accesses contiguous. The channel of
// element i is (i / spatial) % channels; rather than two 64-bit divisions per element,
// each thread divides once for its first element and then advances a (channel, position
// in plane) cursor by the fixed grid stride with adds and a carry.
// Launch: any grid; blockDim.x a multiple of 32, <= 1024 (256 intended);
// grid as launched: min(ceil(n*channels*spatial / 1024), 8 * SM count); any grid is correct (grid-stride).
extern "C" __global__ void add_bias(float* y, const float* bias, int n, int channels, int spatial) {
    if (n <= 0 || channels <= 0 || spatial <= 0) return;
    const u64 total = (u64)n * (u64)channels * (u64)spatial;
    const u64 start = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    if (start >= total) return;
    const unsigned sp = (unsigned)spatial, ch = (unsigned)channels;
    unsigned s = (unsigned)(start % sp);
    unsigned c = (unsigned)((start / sp) % ch);
    const unsigned step_s = (unsigned)(stride % sp);
    const unsigned step_c = (unsigned)((stride / sp) % ch);
    for (u64 i = start; i < total; i += stride) {
        y[i] += bias[c];
        s += step_s;                      // < 2*sp: one conditional subtraction restores s < sp
        const unsigned carry = s >= sp;
        if (carry) s -= sp;
        c += step_c + carry;              // < 2*ch: likewise
        if (c >= ch) c -= ch;
    }
}

// ----------------------------------------------------------------------------
// bias_grad: db[c] = sum over i < n, s < spatial of dy[i,c,s] (overwrites db).
// Bytes per element: 4 (read dy) + 4 per channel (write db).
// One block per channel: the threads of a block sum channel c's n*spatial values (each a
// run of `spatial` contiguous floats per sample), then one block reduction and a plain
// store -- no atomics, no pre-zeroing of db, and the result is deterministic for a given
// blockDim (fixed per-thread order, fixed reduction tree). With spatial = 1 (Linear
// layers) a block reads a strided column, which wastes most of each 32-byte sector; that
// is acceptable at the batch sizes involved (n*channels of a few hundred thousand floats).
// Launch: grid = channels (any grid is correct: blocks stride over channels),
// blockDim.x a multiple of 32 and <= 1024, intended 256.
extern "C" __global__ void bias_grad(const float* dy, float* db, int n, int channels, int spatial) {
    if (n < 0 || channels <= 0 || spatial <= 0) return;
    const u64 per_channel = (u64)n * (u64)spatial;
    const unsigned sp = (unsigned)spatial;
    const unsigned step_s = blockDim.x % sp, step_i = blockDim.x / sp;
    for (int c = blockIdx.x; c < channels; c += gridDim.x) {
        float sum = 0.0f;
        unsigned s = threadIdx.x % sp;
        u64 i = threadIdx.x / sp;
        for (u64 j = threadIdx.x; j < per_channel; j += blockDim.x) {
            sum += dy[(i * (u64)channels + (u64)c) * sp + s];
            s += step_s;                  // cursor over (sample i, position s), as in add_bias
            const unsigned carry = s >= sp;
            if (carry) s -= sp;
            i += step_i + carry;
        }
        sum = block_sum_f32(sum);
        if (threadIdx.x == 0) db[c] = sum;
    }
}
