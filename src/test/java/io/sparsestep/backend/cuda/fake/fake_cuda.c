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
static long long live_allocations, launches;
static unsigned last_grid, last_block;

#define NEED_CONTEXT() do { if (current == NULL) return 201; } while (0)

long long fake_live_allocations(void) { return live_allocations; }
long long fake_launches(void) { return launches; }
unsigned fake_last_grid(void) { return last_grid; }
unsigned fake_last_block(void) { return last_block; }

int cuInit(unsigned flags) { return flags == 0 ? 0 : 1; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
int cuDeviceGetCount(int *c) { *c = 1; return 0; }
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

/* ------------------------------------------------------------------ kernels, as the .cu files define them */
#define ARG(i, T) (*(T *)params[i])

static float relu(float x) { return (x > 0.0f || x != x) ? x : 0.0f; }

static int run_kernel(const char *name, void **params) {
    if (!strcmp(name, "fill_f32")) {
        float *x = ARG(0, float *); u64 n = ARG(1, u64); float v = ARG(2, float);
        for (u64 i = 0; i < n; i++) x[i] = v;
    } else if (!strcmp(name, "add_f32")) {
        const float *a = ARG(0, float *), *b = ARG(1, float *); float *out = ARG(2, float *); u64 n = ARG(3, u64);
        for (u64 i = 0; i < n; i++) out[i] = a[i] + b[i];
    } else if (!strcmp(name, "count_zeros")) {
        const float *x = ARG(0, float *); u64 n = ARG(1, u64); unsigned *count = ARG(2, unsigned *);
        unsigned z = 0;
        for (u64 i = 0; i < n; i++) z += x[i] == 0.0f;
        *count += z;
    } else if (!strcmp(name, "relu_forward")) {
        const float *x = ARG(0, float *); float *y = ARG(1, float *); u64 n = ARG(2, u64);
        for (u64 i = 0; i < n; i++) y[i] = relu(x[i]);
    } else if (!strcmp(name, "relu_backward")) {
        const float *y = ARG(0, float *), *dy = ARG(1, float *); float *dx = ARG(2, float *); u64 n = ARG(3, u64);
        for (u64 i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    } else if (!strcmp(name, "add_bias")) {
        float *y = ARG(0, float *); const float *bias = ARG(1, float *);
        int n = ARG(2, int), ch = ARG(3, int), sp = ARG(4, int);
        u64 total = (u64)n * ch * sp;
        for (u64 i = 0; i < total; i++) y[i] += bias[(i / (u64)sp) % (u64)ch];
    } else if (!strcmp(name, "bias_grad")) {
        const float *dy = ARG(0, float *); float *db = ARG(1, float *);
        int n = ARG(2, int), ch = ARG(3, int), sp = ARG(4, int);
        for (int c = 0; c < ch; c++) {
            float sum = 0.0f;
            for (int i = 0; i < n; i++)
                for (int s = 0; s < sp; s++) sum += dy[((u64)i * ch + c) * sp + s];
            db[c] = sum;
        }
    } else if (!strcmp(name, "grda_step")) {
        float *w = ARG(0, float *); const float *g = ARG(1, float *); float *acc = ARG(2, float *);
        u64 n = ARG(3, u64); float lr = ARG(4, float), tau = ARG(5, float); unsigned *count = ARG(6, unsigned *);
        unsigned zeros = 0;
        for (u64 i = 0; i < n; i++) {
            float p = lr * g[i];
            float a = acc[i] - p;
            float wi = a > tau ? a - tau : (a < -tau ? a + tau : (a == a ? 0.0f : a));  // as kernels/optim.cu
            acc[i] = a;
            w[i] = wi;
            zeros += wi == 0.0f;
        }
        if (count != NULL) *count += zeros;
    } else if (!strcmp(name, "sgd_step")) {
        float *w = ARG(0, float *); const float *g = ARG(1, float *); float *m = ARG(2, float *); u64 n = ARG(3, u64);
        float lr = ARG(4, float), momentum = ARG(5, float), dampening = ARG(6, float), wd = ARG(7, float);
        int nesterov = ARG(8, int), first = ARG(9, int);
        float keep = 1.0f - dampening;
        for (u64 i = 0; i < n; i++) {
            float wi = w[i];
            float d = g[i];
            if (wd != 0.0f) { float t = wd * wi; d = d + t; }
            if (momentum != 0.0f) {
                float mi;
                if (first) mi = d;
                else { float a = momentum * m[i]; float b = keep * d; mi = a + b; }
                m[i] = mi;
                if (nesterov) { float t = momentum * mi; d = d + t; } else d = mi;
            }
            float step = lr * d;
            w[i] = wi - step;
        }
    } else if (!strcmp(name, "softmax_xent")) {
        const float *logits = ARG(0, float *), *labels = ARG(1, float *);
        int n = ARG(2, int), classes = ARG(3, int); float *dlogits = ARG(4, float *); float scale = ARG(5, float);
        float *result = ARG(6, float *);
        for (int r = 0; r < n; r++) {
            const float *x = logits + (u64)r * classes;
            float mx = -INFINITY; int arg = 0;
            for (int j = 0; j < classes; j++) if (x[j] > mx) { mx = x[j]; arg = j; }
            float sum = 0.0f;
            for (int j = 0; j < classes; j++) sum += expf(x[j] - mx);
            int k = (int)labels[r];
            if (dlogits != NULL)
                for (int j = 0; j < classes; j++) {
                    float p = expf(x[j] - mx) / sum;
                    dlogits[(u64)r * classes + j] = (j == k ? p - 1.0f : p) * scale;
                }
            result[0] += logf(sum) - (x[k] - mx);
            if (arg == k) result[1] += 1.0f;
        }
    } else {
        return 500;
    }
    return 0;
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void *stream, void **params, void **extra) {
    NEED_CONTEXT();
    if (gx == 0 || bx == 0 || bx > 1024 || gy != 1 || gz != 1 || by != 1 || bz != 1 || extra != NULL) return 1;
    launches++;
    last_grid = gx;
    last_block = bx;
    return run_kernel(((Function *)f)->name, params);
}

int cuGetErrorName(int e, const char **s) {
    switch (e) {
        case 0: *s = "CUDA_SUCCESS"; return 0;
        case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0;
        case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
        case 201: *s = "CUDA_ERROR_INVALID_CONTEXT"; return 0;
        case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
        case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
        default: *s = NULL; return 1;
    }
}
int cuGetErrorString(int e, const char **s) {
    switch (e) {
        case 2: *s = "out of memory"; return 0;
        case 201: *s = "invalid device context"; return 0;
        case 218: *s = "a PTX JIT compilation failed"; return 0;
        case 500: *s = "named symbol not found"; return 0;
        default: *s = NULL; return 1;
    }
}
