// Softmax cross-entropy, fused: loss, accuracy count and the logits gradient of a batch in
// one launch, so the softmax probabilities are never stored.

#include "common.cuh"

#include <limits.h>
#include <math.h>

// ----------------------------------------------------------------------------
// softmax_xent(logits [n, classes], labels [n] as floats holding class indices)
//   result[0] += sum over rows of -log softmax(x)[label]  (atomicAdd; the host zeroes
//                result first)
//   result[1] += number of rows whose first arg-max equals the label
//   dlogits    = (softmax(x) - onehot(label)) * grad_scale, when dlogits is not NULL
//
// Bytes per logit: 4 read for the statistics pass, 4 read again for the gradient pass
// (a row is at most a few KB, so the re-read is served from L1/L2, not HBM) and 4 written
// to dlogits; plus 4 per row for the label. One block per row; each thread walks the row
// with stride blockDim, so any class count (10 or 1000+) works and reads are coalesced.
//
// Numerically stable, in one read of the row: each thread keeps an online softmax state
// (running max m, s = sum of exp(x - m), rescaled by exp(m_old - m_new) whenever the max
// grows), and states merge across threads the same way. The loss is
// log(s) - (x[label] - m), never exp of a large logit.
//
// First arg-max: ties go to the smallest index (each thread sees increasing indices; the
// merge prefers the smaller index on equal maxima). NaN logits never win the arg-max but
// make s, and so the row's loss, NaN. A label that is not an integer in [0, classes)
// adds NaN to result[0] (the host validates labels; NaN makes a miss visible) and counts
// as a miss; its dlogits row is softmax * grad_scale with no one-hot term.
//
// Launch: grid = n (one block per row; any grid is correct, blocks stride over rows),
// blockDim.x a multiple of 32 (so any power of two from 32 to 1024); intended 256.
// result's float atomics make result[0]'s last bits depend on the order rows finish.

struct SoftmaxState {
    float max;   // largest logit seen (-inf before any)
    float sum;   // sum of exp(x - max) over the logits seen
    int argmax;  // index of the first logit equal to max; INT_MAX before any
};

__device__ __forceinline__ void softmax_push(SoftmaxState& st, float x, int j) {
    if (x > st.max) {
        st.sum = st.sum * expf(st.max - x) + 1.0f;
        st.max = x;
        st.argmax = j;
    } else {
        if (x == st.max && st.argmax == INT_MAX) st.argmax = j;  // only when x == max == -inf
        if (x != -INFINITY) st.sum += expf(x - st.max);          // -inf adds exactly 0; skip -inf - -inf
    }
}

// sum == 0 means "no finite logit seen": its max may be -inf, and -inf - -inf is NaN.
__device__ __forceinline__ SoftmaxState softmax_merge(SoftmaxState a, SoftmaxState b) {
    SoftmaxState r;
    r.max = fmaxf(a.max, b.max);
    r.sum = (a.sum == 0.0f ? 0.0f : a.sum * expf(a.max - r.max))
          + (b.sum == 0.0f ? 0.0f : b.sum * expf(b.max - r.max));
    r.argmax = (b.max > a.max || (b.max == a.max && b.argmax < a.argmax)) ? b.argmax : a.argmax;
    return r;
}

__device__ __forceinline__ SoftmaxState warp_merge(SoftmaxState st) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        SoftmaxState other;
        other.max = __shfl_xor_sync(0xffffffffu, st.max, offset);
        other.sum = __shfl_xor_sync(0xffffffffu, st.sum, offset);
        other.argmax = __shfl_xor_sync(0xffffffffu, st.argmax, offset);
        st = softmax_merge(st, other);
    }
    return st;
}

extern "C" __global__ void softmax_xent(const float* logits, const float* labels, int n, int classes,
                                        float* dlogits, float grad_scale, float* result) {
    __shared__ SoftmaxState warp_states[32];
    __shared__ SoftmaxState row_state;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;

    for (int row = blockIdx.x; row < n; row += gridDim.x) {
        const float* x = logits + (u64)row * (u64)classes;

        SoftmaxState st = {-INFINITY, 0.0f, INT_MAX};
        for (int j = threadIdx.x; j < classes; j += blockDim.x) softmax_push(st, x[j], j);
        st = warp_merge(st);
        if (lane == 0) warp_states[warp] = st;
        __syncthreads();
        if (warp == 0) {
            st = lane < warps ? warp_states[lane] : SoftmaxState{-INFINITY, 0.0f, INT_MAX};
            st = warp_merge(st);
            if (lane == 0) row_state = st;
        }
        __syncthreads();
        st = row_state;

        const float label = labels[row];
        const bool valid = label >= 0.0f && label < (float)classes && label == truncf(label);
        const int k = valid ? (int)label : -1;

        if (dlogits != nullptr) {
            float* dx = dlogits + (u64)row * (u64)classes;
            for (int j = threadIdx.x; j < classes; j += blockDim.x) {
                const float p = expf(x[j] - st.max) / st.sum;
                dx[j] = (j == k ? p - 1.0f : p) * grad_scale;
            }
        }
        if (threadIdx.x == 0) {
            atomicAdd(&result[0], valid ? logf(st.sum) - (x[k] - st.max) : NAN);
            if (valid && st.argmax == k) atomicAdd(&result[1], 1.0f);
        }
        __syncthreads();  // row_state and warp_states are rewritten for the next row
    }
}
