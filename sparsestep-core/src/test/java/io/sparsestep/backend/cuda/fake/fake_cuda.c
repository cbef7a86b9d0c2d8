/* Fake libcuda.so.1: the driver API subset sparsestep binds, on host memory. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long u64;
typedef struct { char name[64]; } Function;

static int context_object;
static __thread void *current;
static int stream_object;
static long long live_allocations, total_allocations, launches;
static unsigned last_grid, last_block;

#define NEED_CONTEXT() do { if (current == NULL) return 201; } while (0)

long long fake_live_allocations(void) { return live_allocations; }
long long fake_total_allocations(void) { return total_allocations; }
long long fake_launches(void) { return launches; }
unsigned fake_last_grid(void) { return last_grid; }
unsigned fake_last_block(void) { return last_block; }

int cuInit(unsigned flags) { return flags == 0 ? 0 : 1; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
/* FAKE_CUDA_DEVICE_COUNT=0 plays a driver that sees no GPU (doctor's exit code 2). */
int cuDeviceGetCount(int *c) {
    const char *forced = getenv("FAKE_CUDA_DEVICE_COUNT");
    *c = forced != NULL ? atoi(forced) : 1;
    return 0;
}
int cuDeviceGet(int *d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
int cuDeviceGetName(char *name, int len, int dev) { snprintf(name, (size_t)len, "Fake GPU"); return dev == 0 ? 0 : 101; }
int cuDeviceTotalMem_v2(size_t *bytes, int dev) { *bytes = (size_t)80 << 30; return dev == 0 ? 0 : 101; }
int cuDeviceGetAttribute(int *v, int attr, int dev) {
    *v = attr == 16 ? 4 : attr == 75 ? 9 : attr == 76 ? 0 : -1;
    return dev == 0 && *v >= 0 ? 0 : 1;
}
static int primary_retains;
int cuDevicePrimaryCtxRetain(void **ctx, int dev) { if (dev != 0) return 101; *ctx = &context_object; primary_retains++; return 0; }
int cuDevicePrimaryCtxRelease_v2(int dev) { if (dev != 0) return 101; if (primary_retains == 0) return 201; primary_retains--; return 0; }
int cuDevicePrimaryCtxGetState(int dev, unsigned *flags, int *active) {
    if (dev != 0) return 101;
    *flags = 0; *active = primary_retains > 0;
    return 0;
}
int cuCtxSetCurrent(void *ctx) { current = ctx; return 0; }
int cuCtxGetCurrent(void **ctx) { *ctx = current; return 0; }
int cuCtxGetDevice(int *d) { NEED_CONTEXT(); *d = 0; return 0; }
int cuCtxSynchronize(void) { NEED_CONTEXT(); return 0; }
int cuStreamCreate(void **s, unsigned flags) { NEED_CONTEXT(); *s = &stream_object; return flags <= 1 ? 0 : 1; }
int cuStreamDestroy_v2(void *s) { return s == &stream_object ? 0 : 400; }
int cuStreamSynchronize(void *s) { NEED_CONTEXT(); return s == &stream_object || s == NULL ? 0 : 400; }
int cuEventCreate(void **e, unsigned flags) { *e = malloc(8); return 0; }
int cuEventRecord(void *e, void *s) { return 0; }
int cuEventSynchronize(void *e) { return 0; }
int cuEventElapsedTime_v2(float *ms, void *a, void *b) { *ms = 1.5f; return 0; }
int cuEventDestroy_v2(void *e) { free(e); return 0; }

int cuMemAlloc_v2(u64 *p, size_t bytes) {
    NEED_CONTEXT();
    if (bytes == 0) return 1;
    if (bytes > ((size_t)1 << 40)) return 2;
    void *m = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (m == NULL) return 2;
    memset(m, 0xA5, bytes); /* uninitialised, as cuMemAlloc leaves it */
    *p = (u64)(uintptr_t)m;
    live_allocations++;
    total_allocations++;
    return 0;
}
int cuMemFree_v2(u64 p) { NEED_CONTEXT(); free((void *)(uintptr_t)p); live_allocations--; return 0; }
int cuMemcpyHtoDAsync_v2(u64 dst, const void *src, size_t n, void *s) { NEED_CONTEXT(); memcpy((void *)(uintptr_t)dst, src, n); return 0; }
int cuMemcpyDtoHAsync_v2(void *dst, u64 src, size_t n, void *s) { NEED_CONTEXT(); memcpy(dst, (void *)(uintptr_t)src, n); return 0; }
int cuMemcpyDtoDAsync_v2(u64 dst, u64 src, size_t n, void *s) { NEED_CONTEXT(); memmove((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n); return 0; }
int cuMemsetD32Async(u64 dst, unsigned v, size_t n, void *s) {
    NEED_CONTEXT();
    if (dst % 4 != 0) return 1;
    unsigned *p = (unsigned *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++) p[i] = v;
    return 0;
}
int cuMemGetInfo_v2(size_t *free_bytes, size_t *total) { NEED_CONTEXT(); *free_bytes = (size_t)70 << 30; *total = (size_t)80 << 30; return 0; }

/* Modules: the "PTX" is kept as text; a function exists if the text has ".entry <name>(". */
int cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options, void **values) {
    NEED_CONTEXT();
    char *log = NULL;
    size_t log_size = 0;
    for (unsigned i = 0; i < n; i++) {
        if (options[i] == 5) log = (char *)values[i];
        if (options[i] == 6) log_size = (size_t)(uintptr_t)values[i];
    }
    const char *text = (const char *)image;
    if (strstr(text, "FAIL_JIT") != NULL) {
        if (log != NULL && log_size > 0) snprintf(log, log_size, "ptxas fatal   : syntax error at line 3");
        return 218;
    }
    /* a driver of CUDA 12.x: PTX ISA 9.0 (CUDA 13) is too new for it */
    if (strstr(text, "\n.version 9.") != NULL) return 222;
    *module = strdup(text);
    return 0;
}
int cuModuleGetFunction(void **f, void *module, const char *name) {
    char pattern[96];
    snprintf(pattern, sizeof pattern, ".entry %s(", name);
    if (strstr((const char *)module, pattern) == NULL) return 500;
    Function *fn = calloc(1, sizeof(Function));
    snprintf(fn->name, sizeof fn->name, "%s", name);
    *f = fn;
    return 0;
}
int cuModuleUnload(void *module) { free(module); return 0; }

/* ------------------------------------------------------------------ kernels: the real ones
 * Every launch runs the real kernels/*.cu code, compiled for the host through
 * native-build/emulate/cuda_host_shim.h (libsparsestep_hostkernels.so, built by
 * native-build/emulate/build.sh). A launch the shim refuses (a misaligned float4, a barrier
 * not every thread reaches) returns the error a GPU would report; fake_last_launch_error()
 * says why. fake_break_kernel(name) makes every later launch of that kernel add 1 to the
 * first float of its first pointer argument after running: a kernel bug on purpose, for
 * the tests of a conformance check that must fail (doctor's exit code 1). The environment
 * variable FAKE_CUDA_BREAK_KERNEL does the same from the first launch on.
 */
int sparsestep_host_launch(const char *name, unsigned grid, unsigned block, void **params, char *message, size_t capacity);

static char last_launch_error[512];
static char broken_kernel[64];

const char *fake_last_launch_error(void) { return last_launch_error; }
void fake_break_kernel(const char *name) { snprintf(broken_kernel, sizeof broken_kernel, "%s", name == NULL ? "" : name); }

static int run_kernel(const char *name, unsigned grid, unsigned block, void **params) {
    if (broken_kernel[0] == '\0' && getenv("FAKE_CUDA_BREAK_KERNEL") != NULL) fake_break_kernel(getenv("FAKE_CUDA_BREAK_KERNEL"));
    int rc = sparsestep_host_launch(name, grid, block, params, last_launch_error, sizeof last_launch_error);
    if (rc == 0 && strcmp(name, broken_kernel) == 0) {
        float *first = *(float **)params[0];
        first[0] += 1.0f;
    }
    return rc;
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void *stream, void **params, void **extra) {
    NEED_CONTEXT();
    if (gx == 0 || bx == 0 || bx > 1024 || gy != 1 || gz != 1 || by != 1 || bz != 1 || extra != NULL) return 1;
    launches++;
    last_grid = gx;
    last_block = bx;
    return run_kernel(((Function *)f)->name, gx, bx, params);
}

int cuGetErrorName(int e, const char **s) {
    switch (e) {
        case 0: *s = "CUDA_SUCCESS"; return 0;
        case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0;
        case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
        case 201: *s = "CUDA_ERROR_INVALID_CONTEXT"; return 0;
        case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
        case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
        case 716: *s = "CUDA_ERROR_MISALIGNED_ADDRESS"; return 0;
        case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
        default: *s = NULL; return 1;
    }
}
int cuGetErrorString(int e, const char **s) {
    switch (e) {
        case 2: *s = "out of memory"; return 0;
        case 201: *s = "invalid device context"; return 0;
        case 218: *s = "a PTX JIT compilation failed"; return 0;
        case 500: *s = "named symbol not found"; return 0;
        case 716: *s = "misaligned address"; return 0;
        case 719: *s = "unspecified launch failure"; return 0;
        default: *s = NULL; return 1;
    }
}
