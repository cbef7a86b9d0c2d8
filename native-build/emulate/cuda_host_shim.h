// Just enough of CUDA's execution model to run sparsestep's real kernels/*.cu on the CPU,
// so their machinery (float4 split, head and tail loops, grid-stride, cursors, warp
// shuffles, block reductions, atomics) is tested on machines without a GPU.
//
// One OS thread runs a whole launch. The blocks of a grid run one after another; the
// threads of a block are fibers (a small stack each) that run cooperatively:
// a thread runs until it reaches __syncthreads(), a warp shuffle, or its end, then the
// next runnable thread of the block runs. A barrier opens when every thread it waits for
// has arrived (the whole block for __syncthreads, the 32 lanes of the warp for a
// shuffle). Because one OS thread runs everything, a function-local `static` is the
// block's shared memory and atomics need no lock.
//
// What a real GPU would refuse, the shim reports as a launch error instead of running on:
// a float4 access off a 16-byte boundary (CUDA_ERROR_MISALIGNED_ADDRESS, checked on every
// reinterpret_cast to float4*, see checked_reinterpret_cast below), a __syncthreads() that
// some threads of the block never reach, a full-mask shuffle that some lanes of the warp
// never reach or that runs in a partial warp (CUDA_ERROR_LAUNCH_FAILED), an invalid
// launch shape (CUDA_ERROR_INVALID_VALUE).
//
// Not modelled: interleaving between barriers (a data race that needs two threads to run
// at the same time is not found here; compute-sanitizer's racecheck on a GPU is), the
// memory model across blocks, timing, uninitialised shared memory (a static keeps the
// previous block's value), and anything numeric beyond IEEE float: the host compiles the
// same source with contraction off (-ffp-contract=off), which is what the __fmul_rn-style
// intrinsics guarantee on the GPU.
#pragma once

// Every header a kernel may include comes first, so that the reinterpret_cast macro
// (see the end of this file) never reaches a system header.
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string>
#include <type_traits>
#include <vector>

#include <sys/mman.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define SHIM_ASAN 1
#else
#define SHIM_ASAN 0
#endif

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct Dim3 { unsigned x = 0, y = 0, z = 0; };
// Set by the scheduler before it resumes a thread; kernels read them as CUDA's built-ins.
inline Dim3 threadIdx, blockIdx, blockDim, gridDim;

struct alignas(16) float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((std::uint64_t)a * b) >> 32); }
inline double __dadd_rn(double a, double b) { return a + b; }

namespace shim {

// CUDA driver error codes the shim reports (cuda.h values).
constexpr int kSuccess = 0;
constexpr int kInvalidValue = 1;          // CUDA_ERROR_INVALID_VALUE
constexpr int kMisalignedAddress = 716;   // CUDA_ERROR_MISALIGNED_ADDRESS
constexpr int kLaunchFailed = 719;        // CUDA_ERROR_LAUNCH_FAILED

enum class Wait { Runnable, BlockBarrier, WarpBarrier, Done };

// ---------------------------------------------------------------------------- context switch
//
// On x86-64 a switch saves the callee-saved registers and the stack pointer and loads the
// other side's: about ten instructions, no system call. (swapcontext also saves and
// restores the signal mask with a system call per switch, and under ASan clears the
// shadow of the whole target stack each time: 40 s instead of a few for the checks.)
// Elsewhere ucontext does the same job, slower.
#if defined(__x86_64__)
#define SHIM_FAST_SWITCH 1
struct Context { void* sp = nullptr; };
extern "C" void sparsestep_shim_switch(void** save_sp, void* load_sp);
asm(R"(
    .text
    .globl sparsestep_shim_switch
    .hidden sparsestep_shim_switch
    .type sparsestep_shim_switch, @function
sparsestep_shim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size sparsestep_shim_switch, .-sparsestep_shim_switch
)");
#else
#define SHIM_FAST_SWITCH 0
struct Context { ucontext_t uc; };
#endif

struct Fiber {
    Context context;
    Wait wait = Wait::Runnable;
#if SHIM_ASAN
    void* fake_stack = nullptr;
#endif
};

constexpr std::size_t kStackBytes = 256 * 1024;  // kernels are shallow; ASan's redzones need room
constexpr unsigned kMaxBlock = 1024;

struct State {
    std::vector<Fiber> fibers;
    std::vector<void*> stacks;          // one mmap'd stack (with a guard page below) per thread slot
    Context scheduler;
    unsigned current = 0;
    void (*body)(void*) = nullptr;
    void* body_arg = nullptr;
    std::uint64_t shuffle_slots[2][kMaxBlock];  // double-buffered by warp generation
    unsigned warp_generation[kMaxBlock / 32];
    int error = kSuccess;               // first error of the current launch
    std::string message;
    bool stacks_dirty = false;          // a launch abandoned fibers mid-run (ASan: unpoison before reuse)
#if SHIM_ASAN
    const void* scheduler_stack_bottom = nullptr;
    std::size_t scheduler_stack_size = 0;
#endif
};

inline State& state() {
    static State s;
    return s;
}

// Records the first error of a launch; later ones add nothing (the first is the cause).
inline void fail(int code, const std::string& what) {
    State& s = state();
    if (s.error != kSuccess) return;
    s.error = code;
    s.message = what;
}

inline std::string where() {
    return "block " + std::to_string(blockIdx.x) + " thread " + std::to_string(threadIdx.x);
}

// ---------------------------------------------------------------------------- fibers

// Saves the running side into `from` and continues `to` where it last switched away.
inline void jump(Context& from, Context& to) {
#if SHIM_FAST_SWITCH
    sparsestep_shim_switch(&from.sp, to.sp);
#else
    swapcontext(&from.uc, &to.uc);
#endif
}

// The fiber side of a switch to the scheduler: the thread waits (or is done) until the
// scheduler resumes it.
inline void switch_to_scheduler(Wait why) {
    State& s = state();
    Fiber& f = s.fibers[s.current];
    f.wait = why;
#if SHIM_ASAN
    __sanitizer_start_switch_fiber(why == Wait::Done ? nullptr : &f.fake_stack, s.scheduler_stack_bottom,
                                   s.scheduler_stack_size);
#endif
    // A thread that is done is switched away from like any other and never resumed; its
    // stack is reused by the next block.
    jump(f.context, s.scheduler);
#if SHIM_ASAN
    __sanitizer_finish_switch_fiber(f.fake_stack, nullptr, nullptr);
#endif
}

// Where every thread starts: runs the kernel body, then leaves for good.
extern "C" inline void fiber_entry() {
    State& s = state();
#if SHIM_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &s.scheduler_stack_bottom, &s.scheduler_stack_size);
#endif
    s.body(s.body_arg);
    switch_to_scheduler(Wait::Done);
    std::abort();  // a thread that is done is never resumed
}

inline void* stack_for(unsigned t) {
    State& s = state();
    while (s.stacks.size() <= t) {
        const std::size_t page = 4096;
        void* mem = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            std::fprintf(stderr, "cuda_host_shim: cannot map a %zu-byte fiber stack\n", kStackBytes);
            std::abort();
        }
        mprotect(mem, page, PROT_NONE);  // a stack overflow faults instead of corrupting the next stack
        s.stacks.push_back(static_cast<char*>(mem) + page);
    }
    return s.stacks[t];
}

inline void start_fiber(unsigned t) {
    State& s = state();
    Fiber& f = s.fibers[t];
    void* stack = stack_for(t);
#if SHIM_ASAN
    if (s.stacks_dirty) __asan_unpoison_memory_region(stack, kStackBytes);
#endif
#if SHIM_FAST_SWITCH
    // A frame as sparsestep_shim_switch leaves it: control word, MXCSR, six registers,
    // then the address it returns to (fiber_entry), at the alignment of a called function.
    auto* top = reinterpret_cast<std::uint64_t*>(static_cast<char*>(stack) + kStackBytes);
    top -= 2;                                    // 16-byte aligned, plus room below the return address
    top[1] = 0;
    top[0] = reinterpret_cast<std::uint64_t>(&fiber_entry);
    top -= 6;                                    // rbp rbx r12 r13 r14 r15 (garbage is fine)
    for (int i = 0; i < 6; ++i) top[i] = 0;
    top -= 1;
    std::uint32_t control[2];
    asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
    std::memcpy(top, control, 8);
    f.context.sp = top;
#else
    getcontext(&f.context.uc);
    f.context.uc.uc_stack.ss_sp = stack;
    f.context.uc.uc_stack.ss_size = kStackBytes;
    f.context.uc.uc_link = nullptr;  // fiber_entry never returns: it switches back itself
    makecontext(&f.context.uc, fiber_entry, 0);
#endif
    f.wait = Wait::Runnable;
}

// The scheduler side: runs thread t until it waits or ends.
inline void resume(unsigned t) {
    State& s = state();
    s.current = t;
    threadIdx = Dim3{t, 0, 0};
    Fiber& f = s.fibers[t];
#if SHIM_ASAN
    void* scheduler_fake_stack = nullptr;
    __sanitizer_start_switch_fiber(&scheduler_fake_stack, s.stacks[t], kStackBytes);
#endif
    jump(s.scheduler, f.context);
#if SHIM_ASAN
    __sanitizer_finish_switch_fiber(scheduler_fake_stack, nullptr, nullptr);
#endif
}

// ---------------------------------------------------------------------------- barriers

inline void syncthreads() { switch_to_scheduler(Wait::BlockBarrier); }

// Opens every barrier whose threads have all arrived; reports one that can never open.
// Returns false when the block can make no further progress (done, or stuck).
inline bool open_barriers(unsigned block) {
    State& s = state();
    unsigned done = 0, at_block = 0;
    for (unsigned t = 0; t < block; ++t) {
        done += s.fibers[t].wait == Wait::Done;
        at_block += s.fibers[t].wait == Wait::BlockBarrier;
    }
    if (done == block) return false;
    bool opened = false;
    if (at_block == block) {
        for (unsigned t = 0; t < block; ++t) s.fibers[t].wait = Wait::Runnable;
        return true;
    }
    const unsigned warps = (block + 31) / 32;
    for (unsigned w = 0; w < warps; ++w) {
        const unsigned first = 32 * w, lanes = block - first < 32 ? block - first : 32;
        unsigned at_warp = 0;
        for (unsigned l = 0; l < lanes; ++l) at_warp += s.fibers[first + l].wait == Wait::WarpBarrier;
        if (at_warp == lanes) {
            for (unsigned l = 0; l < lanes; ++l) s.fibers[first + l].wait = Wait::Runnable;
            ++s.warp_generation[w];
            opened = true;
        } else if (at_warp > 0) {
            unsigned stray = first;
            while (s.fibers[stray].wait == Wait::WarpBarrier) ++stray;
            const bool runnable = s.fibers[stray].wait == Wait::Runnable;
            if (!runnable) {
                fail(kLaunchFailed, "block " + std::to_string(blockIdx.x) + " warp " + std::to_string(w) +
                                        ": a full-mask shuffle that lane " + std::to_string(stray - first) +
                                        (s.fibers[stray].wait == Wait::Done ? " never reaches (it has exited)"
                                                                            : " never reaches (it waits at __syncthreads)"));
                return false;
            }
        }
    }
    if (opened) return true;
    if (at_block > 0) {
        unsigned stray = 0;
        while (s.fibers[stray].wait == Wait::BlockBarrier) ++stray;
        fail(kLaunchFailed, "block " + std::to_string(blockIdx.x) + ": __syncthreads() that thread " +
                                std::to_string(stray) + " never reaches" +
                                (s.fibers[stray].wait == Wait::Done ? " (it has exited)" : ""));
        return false;
    }
    return true;
}

// Runs a block: every runnable thread in turn, then the barriers that opened, until all end.
inline void run_block(unsigned block) {
    State& s = state();
    for (unsigned t = 0; t < block; ++t) start_fiber(t);
    for (unsigned w = 0; w < (block + 31) / 32; ++w) s.warp_generation[w] = 0;
    for (;;) {
        for (unsigned t = 0; t < block; ++t) {
            if (s.fibers[t].wait == Wait::Runnable) resume(t);
        }
        if (!open_barriers(block)) break;
    }
    for (unsigned t = 0; t < block; ++t) {
        if (s.fibers[t].wait != Wait::Done) s.stacks_dirty = true;  // abandoned mid-run
    }
}

// Runs body(arg) as a kernel<<<grid, block>>> (1-D). Returns a CUDA error code; the
// message of a failure is in state().message.
inline int launch_raw(unsigned grid, unsigned block, void (*body)(void*), void* arg) {
    State& s = state();
    s.error = kSuccess;
    s.message.clear();
    if (grid == 0 || block == 0 || block > kMaxBlock) {
        fail(kInvalidValue, "launch " + std::to_string(grid) + "x" + std::to_string(block) +
                                ": grid and block must be positive, block at most 1024");
        return s.error;
    }
    if (s.fibers.size() < block) s.fibers.resize(block);
    gridDim = Dim3{grid, 1, 1};
    blockDim = Dim3{block, 1, 1};
    s.body = body;
    s.body_arg = arg;
    for (unsigned b = 0; b < grid && s.error == kSuccess; ++b) {
        blockIdx = Dim3{b, 0, 0};
        run_block(block);
    }
    return s.error;
}

template <typename Body>
int launch(unsigned grid, unsigned block, Body body) {
    return launch_raw(grid, block, [](void* p) { (*static_cast<Body*>(p))(); }, &body);
}

// ---------------------------------------------------------------------------- checked casts

// Every reinterpret_cast in a kernel goes through here (see the macro below). A cast to
// float4* whose address is not 16-byte aligned is the access a GPU faults on: it is
// reported, and the kernel is handed a scratch float4 so the host does not fault instead.
template <typename To, typename From>
inline To checked_reinterpret_cast(From from) {
    using Pointee = std::remove_cv_t<std::remove_pointer_t<To>>;
    if constexpr (std::is_pointer_v<To> && std::is_same_v<Pointee, float4>) {
        const auto address = reinterpret_cast<std::uintptr_t>(from);
        if (address % alignof(float4) != 0) {
            char hex[32];
            std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(address));
            fail(kMisalignedAddress, where() + ": float4 access at " + hex + ", not 16-byte aligned");
            static float4 scratch;
            return &scratch;
        }
    }
    return reinterpret_cast<To>(from);
}

}  // namespace shim

inline void __syncthreads() { shim::syncthreads(); }

namespace shim {

// A full-mask shuffle: every lane of the warp writes its value, waits for the other 31,
// and reads the value of lane source(lane). Two slot sets alternate by warp generation,
// so a lane that races ahead to the next shuffle never overwrites a value a slower lane
// has yet to read.
template <typename T, typename Source>
inline T shuffle(unsigned mask, T v, Source source) {
    static_assert(sizeof(T) <= sizeof(std::uint64_t), "shuffle of more than 8 bytes");
    State& s = state();
    const unsigned t = threadIdx.x, lane = t & 31u, warp = t >> 5;
    if (mask != 0xffffffffu) fail(kLaunchFailed, where() + ": shuffle with a partial mask");
    if (32 * (warp + 1) > blockDim.x)
        fail(kLaunchFailed, where() + ": full-mask shuffle in a partial warp (blockDim not a multiple of 32)");
    const unsigned parity = s.warp_generation[warp] & 1u;
    std::memcpy(&s.shuffle_slots[parity][t], &v, sizeof(T));
    switch_to_scheduler(Wait::WarpBarrier);
    const unsigned partner = (warp << 5) | (source(lane) & 31u);
    T r;
    std::memcpy(&r, &s.shuffle_slots[parity][partner < blockDim.x ? partner : t], sizeof(T));
    return r;
}

}  // namespace shim

// The value of lane (lane ^ lane_mask).
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
    return shim::shuffle(mask, v, [&](unsigned lane) { return lane ^ static_cast<unsigned>(lane_mask); });
}

// The value of lane (lane - delta); lanes below delta keep their own.
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta) {
    return shim::shuffle(mask, v, [&](unsigned lane) { return lane >= delta ? lane - delta : lane; });
}

inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, sizeof u); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, sizeof f); return f; }

// One OS thread runs every thread of a launch, so an atomic is a plain read-modify-write.
template <typename T>
inline T atomicAdd(T* p, T v) {
    const T old = *p;
    *p = old + v;
    return old;
}

// A file that includes kernels defines, around those includes only (never around a
// system header):   #define reinterpret_cast shim::checked_reinterpret_cast
// kernels.inc, generated by build.sh, does exactly that for every kernels/*.cu.
