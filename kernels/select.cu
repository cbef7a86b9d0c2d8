// sparsestep: bitwise
// Exact selection over a flat f32 range (the SelectOps family): the k-th largest score
// by radix select on the float bits, no sort, and the mask of the entries at or above it.
// The score is never stored: |w| or |g*w| is recomputed from w (and g) in every pass,
// the product rounded to float (__fmul_rn, never an fma) exactly as Java's Math.abs(g*w),
// so the CPU twin backend.cpu.CpuSelectOps gives the same bits.
//
// Why radix select: a non-negative float's bits order like an unsigned integer, so the
// k-th largest score is found digit by digit, most significant first, over 11, 11 and 10
// bits (31..21, 20..10, 9..0). Each digit is one pass that histograms the candidates whose
// higher digits equal the prefix chosen so far, then one tiny one-block kernel walks the
// histogram from the top bin down and picks the digit where the running count reaches the
// remaining k. After three digits the prefix is the threshold itself, exactly: the same
// value whatever algorithm finds it, so it equals the CPU's bit for bit. A sort would
// move 8+ bytes per element many times over; torch.topk also writes the values out.
//
// No host round trip: every kernel reads and writes the selection state in the scratch
// buffer on the device (layout below), the host only enqueues 7 launches, and the
// threshold ends in scratch word 0, where a fused step reads it on the device. The host
// downloads the state (32 bytes) only when it asks for the Selection.
//
// NaN scores are never candidates for the threshold: they are counted (so a caller can
// stop a run whose gradient went NaN) and left out of the histograms. +inf is an ordinary,
// largest value. Zeros of either sign score +0 (fabsf clears the sign bit).
//
// Counts are 32-bit: a range holds at most 2^32 - 1 entries (CudaSelectOps refuses more).
//
// Scratch layout, 32-bit words:
//   0 threshold (f32 bits; NaN until a selection is complete or when it is invalid)
//   1 valid (1, or 0 once level 0 found k beyond the non-NaN candidates)
//   2 above, 3 equal, 4 candidates, 5 NaN count, 6-7 k (low, high word)
//   8 digit prefix chosen so far, 9 k still to find below that prefix
//   10-15 unused
//   16 .. 16+2047     the global histogram of the current digit (zero between passes)
//   16+2048 ..        one word per SELECT_CHUNK elements: the tie counts, then their
//                     exclusive prefix (keepTop with ties broken by index)
//
// Launch: every kernel 1-D, blockDim.x a multiple of 32 and <= 1024. The element passes
// (select_histogram, select_keep, select_tie_counts, select_keep_ranked) take any grid
// (grid-stride over elements or chunks); select_init, select_pick and select_tie_scan
// work in block 0 only (other blocks return), and are launched as one block of 256.

#include "common.cuh"

#include <math.h>

#define SELECT_STATE_WORDS 16u
#define SELECT_BINS 2048u
#define SELECT_CHUNK 4096u

enum SelectWord : unsigned {
    SEL_THRESHOLD = 0, SEL_VALID = 1, SEL_ABOVE = 2, SEL_EQUAL = 3, SEL_CANDIDATES = 4, SEL_NAN = 5,
    SEL_K_LO = 6, SEL_K_HI = 7, SEL_PREFIX = 8, SEL_REMAINING = 9
};

#define SELECT_NAN_BITS 0x7fc00000u

// The digit of `level`: bits [shift, shift + width) of the score; the higher digits are
// fixed by the prefix, which covers the bits at and above shift + width.
__device__ __forceinline__ unsigned select_shift(int level) { return level == 0 ? 21u : level == 1 ? 10u : 0u; }
__device__ __forceinline__ unsigned select_digit_mask(int level) { return level == 2 ? 0x3ffu : 0x7ffu; }
__device__ __forceinline__ unsigned select_prefix_mask(int level) {
    return level == 0 ? 0u : level == 1 ? 0xffe00000u : 0xfffffc00u;
}

// |w| (g == NULL) or |g*w|, the product rounded once, as Java's Math.abs(g * w).
__device__ __forceinline__ float select_score(float w, const float* g, float gi) {
    return g == nullptr ? fabsf(w) : fabsf(__fmul_rn(gi, w));
}

__device__ __forceinline__ bool select_candidate(const unsigned char* candidates, u64 i) {
    return candidates == nullptr || candidates[i] != 0;
}

// op(i, score of i) for every i in [0, n), grid-stride, w and g read as float4 where
// their offsets agree (see common.cuh); the candidates are left to op (bytes, scalar).
template <typename Op>
__device__ __forceinline__ void for_each_score(u64 n, const float* w, const float* g, Op op) {
    for_each_split(n, float4_split(n, w, g),
        [&](u64 i) { op(i, select_score(w[i], g, g == nullptr ? 0.0f : g[i])); },
        [&](u64 i) {
            const float4 w4 = *reinterpret_cast<const float4*>(w + i);
            const float4 g4 = g == nullptr ? w4 : *reinterpret_cast<const float4*>(g + i);
            op(i, select_score(w4.x, g, g4.x));
            op(i + 1, select_score(w4.y, g, g4.y));
            op(i + 2, select_score(w4.z, g, g4.z));
            op(i + 3, select_score(w4.w, g, g4.w));
        });
}

// Exclusive prefix sum of v over the block in thread order; *total gets the block's sum.
// Every thread must call it. Warp scans by shuffles, then a scan of the warp totals; the
// closing barrier lets a block call it again in a loop.
__device__ __forceinline__ unsigned block_exclusive_scan_u32(unsigned v, unsigned* total) {
    __shared__ unsigned warp_totals[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    unsigned inclusive = v;
    for (unsigned d = 1; d < 32u; d <<= 1) {
        const unsigned other = __shfl_up_sync(0xffffffffu, inclusive, d);
        if (lane >= d) inclusive += other;
    }
    if (lane == 31u) warp_totals[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
        unsigned t = lane < warps ? warp_totals[lane] : 0u;
        for (unsigned d = 1; d < 32u; d <<= 1) {
            const unsigned other = __shfl_up_sync(0xffffffffu, t, d);
            if (lane >= d) t += other;
        }
        if (lane < warps) warp_totals[lane] = t;  // inclusive over warps
    }
    __syncthreads();
    const unsigned before = warp == 0 ? 0u : warp_totals[warp - 1];
    *total = warp_totals[warps - 1];
    __syncthreads();
    return before + inclusive - v;
}

// ----------------------------------------------------------------------------
// select_init: starts a selection of the k-th largest in `scratch`: state cleared, k
// stored, threshold NaN, the histogram zeroed. Bytes: 8 KB once, none per element.
extern "C" __global__ void select_init(unsigned* scratch, unsigned long long k) {
    if (blockIdx.x != 0) return;
    // each word written once, by one thread (a zeroing pass and a second writer would race)
    for (unsigned i = threadIdx.x; i < SELECT_STATE_WORDS + SELECT_BINS; i += blockDim.x) {
        scratch[i] = i == SEL_THRESHOLD ? SELECT_NAN_BITS : i == SEL_VALID ? 1u : i == SEL_K_LO ? (unsigned)k
                     : i == SEL_K_HI ? (unsigned)(k >> 32) : 0u;
    }
}

// ----------------------------------------------------------------------------
// select_histogram: adds to the global histogram the digit `level` of every candidate
// whose non-NaN score matches the prefix chosen so far; level 0 also counts the
// candidates and their NaN scores. A per-block shared-memory histogram (8 KB) takes the
// per-element atomics; only its non-zero bins go to global memory, one atomic each.
// Bytes per element: 4 (|w|) or 8 (|g*w|) read, +1 with a candidates mask; three passes
// per selection. After an invalid level 0 the later passes return at once.
extern "C" __global__ void select_histogram(const float* w, const float* g, const unsigned char* candidates,
                                            unsigned long long n, unsigned* scratch, int level) {
    __shared__ unsigned hist[SELECT_BINS];
    if (level > 0 && scratch[SEL_VALID] == 0u) return;  // the same for every thread: no barrier is split
    for (unsigned b = threadIdx.x; b < SELECT_BINS; b += blockDim.x) hist[b] = 0u;
    __syncthreads();
    const unsigned shift = select_shift(level), digit_mask = select_digit_mask(level);
    const unsigned prefix_mask = select_prefix_mask(level), prefix = scratch[SEL_PREFIX];
    const bool first = level == 0;
    unsigned counted = 0, nans = 0;
    auto add = [&](u64 i, float s) {
        if (!select_candidate(candidates, i)) return;
        counted += first;
        if (s != s) {  // NaN: never selected, counted once (level 0)
            nans += first;
            return;
        }
        const unsigned bits = __float_as_uint(s);
        if ((bits & prefix_mask) == prefix) atomicAdd(&hist[(bits >> shift) & digit_mask], 1u);
    };
    for_each_score(n, w, g, add);
    __syncthreads();
    unsigned* global_hist = scratch + SELECT_STATE_WORDS;
    for (unsigned b = threadIdx.x; b < SELECT_BINS; b += blockDim.x) {
        if (hist[b] != 0u) atomicAdd(&global_hist[b], hist[b]);
    }
    if (first) {
        block_count_into(counted, scratch + SEL_CANDIDATES);
        block_count_into(nans, scratch + SEL_NAN);
    }
}

// ----------------------------------------------------------------------------
// select_pick: picks digit `level` from the global histogram: the largest digit d whose
// bins from the top down to d hold at least the remaining k. Records the counts strictly
// above (they are kept), the count at d (equal, once the last digit is picked), the
// prefix, and after the last digit the threshold; zeroes the histogram for the next pass.
// At level 0 it first checks that k is at most the non-NaN candidates, else marks the
// selection invalid (threshold NaN, above and equal 0; the later kernels do nothing).
// Each thread owns a run of bins in descending order (8 at blockDim 256); a block scan of
// the runs' sums finds the one thread whose run holds the answer. Bytes: the 8 KB histogram, read once
// and zeroed.
extern "C" __global__ void select_pick(unsigned* scratch, int level) {
    if (blockIdx.x != 0) return;
    if (scratch[SEL_VALID] == 0u) return;  // the same for every thread
    unsigned* hist = scratch + SELECT_STATE_WORDS;
    const u64 k = ((u64)scratch[SEL_K_HI] << 32) | scratch[SEL_K_LO];
    const unsigned candidates = scratch[SEL_CANDIDATES], nans = scratch[SEL_NAN];
    const unsigned prefix = scratch[SEL_PREFIX], above = scratch[SEL_ABOVE];
    const unsigned remaining = level == 0 ? (unsigned)k : scratch[SEL_REMAINING];
    __syncthreads();  // every thread has read the state before anyone writes it
    if (level == 0 && k > (u64)(candidates - nans)) {
        if (threadIdx.x == 0) {
            scratch[SEL_VALID] = 0u;
            scratch[SEL_THRESHOLD] = SELECT_NAN_BITS;
            scratch[SEL_ABOVE] = 0u;
            scratch[SEL_EQUAL] = 0u;
        }
        return;
    }
    const unsigned per_thread = (SELECT_BINS + blockDim.x - 1) / blockDim.x;
    const unsigned first_rank = threadIdx.x * per_thread;  // rank r is bin SELECT_BINS - 1 - r
    const unsigned end_rank = first_rank + per_thread < SELECT_BINS ? first_rank + per_thread : SELECT_BINS;
    unsigned run = 0;
    for (unsigned r = first_rank; r < end_rank; ++r) run += hist[SELECT_BINS - 1 - r];
    unsigned total;
    const unsigned before = block_exclusive_scan_u32(run, &total);
    if (before < remaining && remaining - before <= run) {
        unsigned acc = before;
        for (unsigned r = first_rank; r < end_rank; ++r) {
            const unsigned d = SELECT_BINS - 1 - r, count = hist[d];
            if (remaining - acc <= count) {
                const unsigned chosen = prefix | (d << select_shift(level));
                scratch[SEL_PREFIX] = chosen;
                scratch[SEL_ABOVE] = above + acc;
                scratch[SEL_REMAINING] = remaining - acc;
                scratch[SEL_EQUAL] = count;
                if (level == 2) scratch[SEL_THRESHOLD] = chosen;
                break;
            }
            acc += count;
        }
    }
    __syncthreads();  // the chosen run was read before the histogram is cleared
    for (unsigned b = threadIdx.x; b < SELECT_BINS; b += blockDim.x) hist[b] = 0u;
}

// ----------------------------------------------------------------------------
// keepTop with every tie kept (Ties.KEEP_ALL): mask[i] = 1 for the candidates whose score
// is >= the threshold, else 0; nothing after an invalid selection (the threshold is NaN
// then, so no comparison holds). mask may be candidates itself: each element's byte is
// read before it is written, by the same thread.
// Bytes per element: 4 (|w|) or 8 (|g*w|) read, +1 candidates read, 1 mask written.
__device__ __forceinline__ void select_keep_all(const float* w, const float* g, const unsigned char* candidates,
                                                u64 n, const unsigned* scratch, unsigned char* mask) {
    const float th = __uint_as_float(scratch[SEL_THRESHOLD]);
    for_each_score(n, w, g, [&](u64 i, float s) { mask[i] = select_candidate(candidates, i) && s >= th ? 1 : 0; });
}

extern "C" __global__ void select_keep(const float* w, const float* g, const unsigned char* candidates,
                                       unsigned long long n, const unsigned* scratch, unsigned char* mask) {
    select_keep_all(w, g, candidates, n, scratch, mask);
}

// ----------------------------------------------------------------------------
// keepTop with ties broken by index (Ties.LOWEST_INDEX_FIRST): the entries above the
// threshold, then the first k - above of those equal to it, lowest index first. Three
// launches: tie counts per SELECT_CHUNK elements, their exclusive prefix (one block), and
// the mask pass, which ranks the ties inside each chunk by a block scan per tile of
// blockDim elements. Exact and deterministic. When no tie is cut (k - above == equal)
// the first two return at once and the mask pass is the KEEP_ALL pass.

// The tie budget k - above, and whether it cuts the ties (is smaller than equal).
__device__ __forceinline__ bool select_cuts_ties(const unsigned* scratch, unsigned* budget) {
    const u64 k = ((u64)scratch[SEL_K_HI] << 32) | scratch[SEL_K_LO];
    *budget = (unsigned)(k - scratch[SEL_ABOVE]);
    return scratch[SEL_VALID] != 0u && *budget < scratch[SEL_EQUAL];
}

// select_tie_counts: ties[c] = number of candidates in chunk c scoring exactly the
// threshold. One block per chunk (grid-stride over chunks), a block sum each.
// Bytes per element: 4 or 8 read, +1 with candidates; 4 per chunk written.
extern "C" __global__ void select_tie_counts(const float* w, const float* g, const unsigned char* candidates,
                                             unsigned long long n, unsigned* scratch) {
    unsigned budget;
    if (!select_cuts_ties(scratch, &budget)) return;  // the same for every thread
    const float th = __uint_as_float(scratch[SEL_THRESHOLD]);
    unsigned* ties = scratch + SELECT_STATE_WORDS + SELECT_BINS;
    const u64 chunks = (n + SELECT_CHUNK - 1) / SELECT_CHUNK;
    for (u64 c = blockIdx.x; c < chunks; c += gridDim.x) {
        const u64 end = (c + 1) * SELECT_CHUNK < n ? (c + 1) * SELECT_CHUNK : n;
        unsigned count = 0;
        for (u64 i = c * SELECT_CHUNK + threadIdx.x; i < end; i += blockDim.x) {
            count += select_candidate(candidates, i) && select_score(w[i], g, g == nullptr ? 0.0f : g[i]) == th;
        }
        const unsigned total = block_sum_u32(count);
        if (threadIdx.x == 0) ties[c] = total;
    }
}

// select_tie_scan: ties[c] becomes the number of ties in the chunks before c (exclusive
// prefix in index order). One block: each thread sums a run of consecutive chunks, one
// block scan of the runs, then each thread writes its run's prefixes. Bytes: 8 per chunk.
extern "C" __global__ void select_tie_scan(unsigned* scratch, unsigned long long n) {
    if (blockIdx.x != 0) return;
    unsigned budget;
    if (!select_cuts_ties(scratch, &budget)) return;
    unsigned* ties = scratch + SELECT_STATE_WORDS + SELECT_BINS;
    const u64 chunks = (n + SELECT_CHUNK - 1) / SELECT_CHUNK;
    const u64 per_thread = (chunks + blockDim.x - 1) / blockDim.x;
    const u64 first = threadIdx.x * per_thread, end = first + per_thread < chunks ? first + per_thread : chunks;
    unsigned run = 0;
    for (u64 c = first; c < end; ++c) run += ties[c];
    unsigned total;
    unsigned before = block_exclusive_scan_u32(run, &total);
    for (u64 c = first; c < end; ++c) {
        const unsigned v = ties[c];
        ties[c] = before;
        before += v;
    }
}

// select_keep_ranked: the mask, ties ranked by index. A tile of blockDim consecutive
// elements at a time (coalesced); a tie's rank is the ties of the chunks before (the
// scan), of the tiles before in its chunk (the carry) and of the threads before in its
// tile (a block scan). Bytes per element: 4 or 8 read, +1 candidates, 1 mask written.
extern "C" __global__ void select_keep_ranked(const float* w, const float* g, const unsigned char* candidates,
                                              unsigned long long n, const unsigned* scratch, unsigned char* mask) {
    unsigned budget;
    if (!select_cuts_ties(scratch, &budget)) {
        select_keep_all(w, g, candidates, n, scratch, mask);
        return;
    }
    const float th = __uint_as_float(scratch[SEL_THRESHOLD]);
    const unsigned* ties = scratch + SELECT_STATE_WORDS + SELECT_BINS;
    const u64 chunks = (n + SELECT_CHUNK - 1) / SELECT_CHUNK;
    for (u64 c = blockIdx.x; c < chunks; c += gridDim.x) {
        const u64 end = (c + 1) * SELECT_CHUNK < n ? (c + 1) * SELECT_CHUNK : n;
        unsigned rank = ties[c];
        for (u64 tile = c * SELECT_CHUNK; tile < end; tile += blockDim.x) {
            const u64 i = tile + threadIdx.x;
            const bool in = i < end, candidate = in && select_candidate(candidates, i);
            const float s = candidate ? select_score(w[i], g, g == nullptr ? 0.0f : g[i]) : 0.0f;
            const bool tie = candidate && s == th;
            unsigned tile_ties;
            const unsigned before = block_exclusive_scan_u32(tie ? 1u : 0u, &tile_ties);
            if (in) mask[i] = (candidate && s > th) || (tie && rank + before < budget) ? 1 : 0;
            rank += tile_ties;
        }
    }
}
