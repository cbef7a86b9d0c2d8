// The real kernels/*.cu, compiled for the host through cuda_host_shim.h, behind one C
// entry point: the fake CUDA driver of the GPU-free tests (FakeCudaStackTest) hands every
// cuLaunchKernel to sparsestep_host_launch, so the Java bindings run the kernel code a
// GPU would run, not a re-implementation of it.
//
// build.sh generates kernels.inc (an #include of every kernels/*.cu) and kernel_table.inc
// (one KERNEL(name) line per extern "C" __global__ function), so a new kernel is picked
// up without editing this file.
#include "cuda_host_shim.h"

#include <mutex>
#include <utility>

#include "kernels.inc"

namespace {

// Unpacks cuLaunchKernel's kernelParams (an array of pointers to each argument's value)
// into a call with the kernel's own parameter types.
template <typename... Args, std::size_t... I>
void call_with(void (*kernel)(Args...), void** params, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_reference_t<Args>*>(params[I])...);
}

template <typename... Args>
int launch_kernel(void (*kernel)(Args...), unsigned grid, unsigned block, void** params) {
    return shim::launch(grid, block, [&] { call_with(kernel, params, std::index_sequence_for<Args...>{}); });
}

struct Entry {
    const char* name;
    int (*launch)(unsigned grid, unsigned block, void** params);
    unsigned long long launches;
};

#define KERNEL(name) {#name, [](unsigned g, unsigned b, void** p) { return launch_kernel(&name, g, b, p); }, 0},
Entry table[] = {
#include "kernel_table.inc"
};
#undef KERNEL

std::mutex one_launch_at_a_time;  // the shim's scheduler state is process-wide

Entry* find(const char* name) {
    for (Entry& e : table) {
        if (std::strcmp(e.name, name) == 0) return &e;
    }
    return nullptr;
}

}  // namespace

extern "C" {

// Runs kernel `name` as <<<grid, block>>> on kernelParams. Returns 0 or the CUDA error
// code a GPU would report (500 for an unknown kernel); the reason goes into message.
int sparsestep_host_launch(const char* name, unsigned grid, unsigned block, void** params, char* message,
                           std::size_t capacity) {
    std::lock_guard<std::mutex> lock(one_launch_at_a_time);
    if (capacity > 0) message[0] = '\0';
    Entry* e = find(name);
    if (e == nullptr) {
        if (capacity > 0) std::snprintf(message, capacity, "no kernel %s in kernels/*.cu", name);
        return 500;  // CUDA_ERROR_NOT_FOUND
    }
    e->launches++;
    const int rc = e->launch(grid, block, params);
    if (rc != 0 && capacity > 0) std::snprintf(message, capacity, "%s: %s", name, shim::state().message.c_str());
    return rc;
}

// Comma-separated names of every kernel compiled in, in kernels/*.cu order.
const char* sparsestep_host_kernels() {
    static std::string names;
    if (names.empty()) {
        for (const Entry& e : table) names += (names.empty() ? "" : ",") + std::string(e.name);
    }
    return names.c_str();
}

// How often kernel `name` was launched in this process (-1: no such kernel).
long long sparsestep_host_launches(const char* name) {
    const Entry* e = find(name);
    return e == nullptr ? -1 : static_cast<long long>(e->launches);
}

}  // extern "C"
