// Just enough of CUDA's device model to run sparsestep's kernels on the CPU, so their
// logic (index arithmetic, float4 split, cursors, reductions, tie rules) can be checked on
// a machine without a GPU. Each CUDA thread of a block is a std::thread; the blocks of a
// launch run one after another, so function-local `static` (our __shared__) is per block
// in effect.
// Warp shuffles exchange through per-warp slots between two warp barriers, which also
// deadlocks, and so exposes, any shuffle that not all 32 lanes reach.
//
// Not modelled: the memory model across blocks, timing, and anything numeric beyond IEEE
// float -- the host runs the same source with contraction off (-ffp-contract=off), which is
// what the __fmul_rn-style intrinsics guarantee on the GPU.
#pragma once

#include <barrier>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct Dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local Dim3 threadIdx, blockIdx;
inline Dim3 blockDim, gridDim;

struct alignas(16) float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }

namespace shim {
inline std::unique_ptr<std::barrier<>> block_barrier;
inline std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
inline std::vector<std::uint64_t> warp_slots;  // 32 per warp
inline std::mutex atomic_mutex;
}  // namespace shim

inline void __syncthreads() { shim::block_barrier->arrive_and_wait(); }

template <typename T>
inline T __shfl_xor_sync(unsigned /*mask*/, T v, int lane_mask) {
    static_assert(sizeof(T) <= sizeof(std::uint64_t));
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    std::uint64_t* slots = &shim::warp_slots[32u * warp];
    std::memcpy(&slots[lane], &v, sizeof(T));
    shim::warp_barriers[warp]->arrive_and_wait();
    T r;
    std::memcpy(&r, &slots[lane ^ (unsigned)lane_mask], sizeof(T));
    shim::warp_barriers[warp]->arrive_and_wait();
    return r;
}

template <typename T>
inline T atomicAdd(T* p, T v) {
    std::lock_guard<std::mutex> lock(shim::atomic_mutex);
    const T old = *p;
    *p = old + v;
    return old;
}

// Runs body() as kernel<<<grid, block>>>: block must be a multiple of 32 (the kernels' contract).
// One std::thread per CUDA thread of a block; the same threads then play each block in turn,
// with a barrier between blocks so one block's shared statics are not reused early.
template <typename Body>
void launch(unsigned grid, unsigned block, Body body) {
    gridDim = Dim3{grid, 1, 1};
    blockDim = Dim3{block, 1, 1};
    const unsigned warps = block / 32;
    shim::block_barrier = std::make_unique<std::barrier<>>(block);
    shim::warp_barriers.clear();
    for (unsigned w = 0; w < warps; ++w) shim::warp_barriers.push_back(std::make_unique<std::barrier<>>(32));
    shim::warp_slots.assign(32u * warps, 0);
    std::vector<std::thread> threads;
    threads.reserve(block);
    for (unsigned t = 0; t < block; ++t) {
        threads.emplace_back([t, grid, &body] {
            threadIdx = Dim3{t, 0, 0};
            for (unsigned b = 0; b < grid; ++b) {
                blockIdx = Dim3{b, 0, 0};
                body();
                shim::block_barrier->arrive_and_wait();
            }
        });
    }
    for (auto& th : threads) th.join();
}
