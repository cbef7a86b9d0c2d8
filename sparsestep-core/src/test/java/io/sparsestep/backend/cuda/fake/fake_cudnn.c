/* Fake libcudnn.so.9: the legacy descriptor API subset sparsestep binds, with naive NCHW float32 math. */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { int n, c, h, w; } Tensor;
typedef struct { int k, c, r, s; } Filter;
typedef struct { int padH, padW, strideH, strideW, math; } Conv;
typedef struct { int mode, wh, ww, ph, pw, sh, sw; } Pool;
/* cudnnConvolutionFwdAlgoPerf_t as cudnn_cnn.h declares it; the C compiler lays it out */
typedef struct { int algo; int status; float time; size_t memory; int determinism; int mathType; int reserved[3]; } Perf;

static char last_error[256];
static int refusals, finds;
static double last_factor = -1, last_epsilon = -1;

int fake_cudnn_refusals(void) { return refusals; }
int fake_cudnn_finds(void) { return finds; }
double fake_cudnn_last_factor(void) { return last_factor; }
double fake_cudnn_last_epsilon(void) { return last_epsilon; }

static int fail(int status, const char *message) { snprintf(last_error, sizeof last_error, "%s", message); return status; }

size_t cudnnGetVersion(void) { return 92200; }
size_t cudnnGetCudartVersion(void) { return 13000; }
const char *cudnnGetErrorString(int s) {
    switch (s) {
        case 0: return "CUDNN_STATUS_SUCCESS";
        case 1008: return "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
        case 2000: return "CUDNN_STATUS_BAD_PARAM";
        case 2003: return "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
        case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
        default: return "CUDNN_STATUS_UNKNOWN";
    }
}
void cudnnGetLastErrorString(char *buffer, size_t size) {
    snprintf(buffer, size, "%s", last_error);
    last_error[0] = 0;
}

int cudnnCreate(void **h) {
    /* cuDNN 9 loads its sub-libraries by soname when first needed */
    void *graph = dlopen("libfakecudnn_graph.so.9", RTLD_NOW);
    if (graph == NULL) return fail(1008, "libfakecudnn_graph.so.9 not loadable");
    int (*marker)(void) = (int (*)(void))dlsym(graph, "cudnnGraphFakeMarker");
    if (marker == NULL || marker() != 42) return fail(1008, "bad graph library");
    *h = malloc(16);
    return 0;
}
int cudnnDestroy(void *h) { free(h); return 0; }
int cudnnSetStream(void *h, void *stream) { return h == NULL ? 2000 : 0; }

static int create(void **d, size_t size) { *d = calloc(1, size); return 0; }
static int destroy(void *d) { free(d); return 0; }
int cudnnCreateTensorDescriptor(void **d) { return create(d, sizeof(Tensor)); }
int cudnnDestroyTensorDescriptor(void *d) { return destroy(d); }
int cudnnCreateFilterDescriptor(void **d) { return create(d, sizeof(Filter)); }
int cudnnDestroyFilterDescriptor(void *d) { return destroy(d); }
int cudnnCreateConvolutionDescriptor(void **d) { return create(d, sizeof(Conv)); }
int cudnnDestroyConvolutionDescriptor(void *d) { return destroy(d); }
int cudnnCreatePoolingDescriptor(void **d) { return create(d, sizeof(Pool)); }
int cudnnDestroyPoolingDescriptor(void *d) { return destroy(d); }

int cudnnSetTensor4dDescriptor(Tensor *t, int format, int type, int n, int c, int h, int w) {
    if (format != 0 || type != 0) return fail(3000, "only NCHW float");
    if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return fail(2000, "tensor dimensions must be positive");
    *t = (Tensor){n, c, h, w};
    return 0;
}
int cudnnSetFilter4dDescriptor(Filter *f, int type, int format, int k, int c, int r, int s) {
    if (type != 0 || format != 0) return fail(3000, "only float NCHW filters");
    if (k <= 0 || c <= 0 || r <= 0 || s <= 0) return fail(2000, "filter dimensions must be positive");
    *f = (Filter){k, c, r, s};
    return 0;
}
int cudnnSetConvolution2dDescriptor(Conv *d, int padH, int padW, int u, int v, int dilH, int dilW, int mode, int type) {
    if (mode != 1 || type != 0 || dilH != 1 || dilW != 1) return fail(3000, "cross-correlation, float, no dilation only");
    if (u <= 0 || v <= 0 || padH < 0 || padW < 0) return fail(2000, "bad stride or padding");
    *d = (Conv){padH, padW, u, v, 0};
    return 0;
}
int cudnnSetConvolutionMathType(Conv *d, int math) { d->math = math; return math == 3 ? 0 : fail(3000, "fake wants FMA math"); }
int cudnnGetConvolution2dForwardOutputDim(Conv *d, Tensor *x, Filter *w, int *n, int *c, int *h, int *ww) {
    if (x->c != w->c) return fail(2000, "channel mismatch");
    *n = x->n; *c = w->k;
    *h = (x->h + 2 * d->padH - w->r) / d->strideH + 1;
    *ww = (x->w + 2 * d->padW - w->s) / d->strideW + 1;
    return 0;
}

/* Algorithm 1 is "fast", needs 4096 bytes of workspace and 16-byte aligned pointers; 0 needs nothing; 6 failed. */
static int find(int requested, int *returned, Perf *perfs) {
    finds++;
    Perf all[3] = {{1, 0, 0.5f, 4096, 1, 3, {0, 0, 0}}, {0, 0, 1.0f, 0, 1, 3, {0, 0, 0}}, {6, 3000, -1.0f, 0, 0, 0, {0, 0, 0}}};
    int count = requested < 3 ? requested : 3;
    for (int i = 0; i < count; i++) perfs[i] = all[i];
    *returned = count;
    return 0;
}
int cudnnFindConvolutionForwardAlgorithm(void *h, Tensor *x, Filter *w, Conv *c, Tensor *y, int req, int *ret, Perf *p) { return find(req, ret, p); }
int cudnnFindConvolutionBackwardDataAlgorithm(void *h, Filter *w, Tensor *dy, Conv *c, Tensor *dx, int req, int *ret, Perf *p) { return find(req, ret, p); }
int cudnnFindConvolutionBackwardFilterAlgorithm(void *h, Tensor *x, Tensor *dy, Conv *c, Filter *dw, int req, int *ret, Perf *p) { return find(req, ret, p); }

static int misaligned(const void *a, const void *b, const void *c) {
    return ((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) & 15;
}

static int admit(int algo, const void *a, const void *b, const void *c, void *ws, size_t wsBytes, const float *alpha, const float *beta) {
    if (*alpha != 1.0f || *beta != 0.0f) return fail(3000, "fake supports alpha 1, beta 0");
    if (algo == 1 && misaligned(a, b, c)) { refusals++; return fail(2003, "algo 1 needs 16-byte aligned tensors"); }
    if (algo == 1 && (ws == NULL || wsBytes < 4096)) return fail(2000, "algo 1 needs 4096 bytes of workspace");
    if (algo != 0 && algo != 1) return fail(2000, "no such algorithm");
    return 0;
}

#define X(n, c, h, w) x[(((size_t)(n) * C + (c)) * H + (h)) * W + (w)]
#define WT(k, c, r, s) wt[(((size_t)(k) * C + (c)) * R + (r)) * S + (s)]
#define Y(n, k, h, w) y[(((size_t)(n) * K + (k)) * OH + (h)) * OW + (w)]

int cudnnConvolutionForward(void *h, const float *alpha, Tensor *xd, const float *x, Filter *wd, const float *wt, Conv *cd,
                            int algo, void *ws, size_t wsBytes, const float *beta, Tensor *yd, float *y) {
    int st = admit(algo, x, wt, y, ws, wsBytes, alpha, beta);
    if (st) return st;
    int N = xd->n, C = xd->c, H = xd->h, W = xd->w, K = wd->k, R = wd->r, S = wd->s, OH = yd->h, OW = yd->w;
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {
        double sum = 0;
        for (int c = 0; c < C; c++) for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) {
            int ih = oh * cd->strideH - cd->padH + r, iw = ow * cd->strideW - cd->padW + s;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) sum += (double)X(n, c, ih, iw) * WT(k, c, r, s);
        }
        Y(n, k, oh, ow) = (float)sum;
    }
    return 0;
}

int cudnnConvolutionBackwardData(void *h, const float *alpha, Filter *wd, const float *wt, Tensor *dyd, const float *y, Conv *cd,
                                 int algo, void *ws, size_t wsBytes, const float *beta, Tensor *dxd, float *x) {
    int st = admit(algo, wt, y, x, ws, wsBytes, alpha, beta);
    if (st) return st;
    int N = dxd->n, C = dxd->c, H = dxd->h, W = dxd->w, K = wd->k, R = wd->r, S = wd->s, OH = dyd->h, OW = dyd->w;
    double *acc = calloc((size_t)N * C * H * W, sizeof(double));
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++)
        for (int c = 0; c < C; c++) for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) {
            int ih = oh * cd->strideH - cd->padH + r, iw = ow * cd->strideW - cd->padW + s;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                acc[(((size_t)n * C + c) * H + ih) * W + iw] += (double)Y(n, k, oh, ow) * WT(k, c, r, s);
        }
    for (size_t i = 0; i < (size_t)N * C * H * W; i++) x[i] = (float)acc[i];
    free(acc);
    return 0;
}

int cudnnConvolutionBackwardFilter(void *h, const float *alpha, Tensor *xd, const float *x, Tensor *dyd, const float *y, Conv *cd,
                                   int algo, void *ws, size_t wsBytes, const float *beta, Filter *dwd, float *wt) {
    int st = admit(algo, x, y, wt, ws, wsBytes, alpha, beta);
    if (st) return st;
    int N = xd->n, C = xd->c, H = xd->h, W = xd->w, K = dwd->k, R = dwd->r, S = dwd->s, OH = dyd->h, OW = dyd->w;
    for (int k = 0; k < K; k++) for (int c = 0; c < C; c++) for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) {
        double sum = 0;
        for (int n = 0; n < N; n++) for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {
            int ih = oh * cd->strideH - cd->padH + r, iw = ow * cd->strideW - cd->padW + s;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) sum += (double)X(n, c, ih, iw) * Y(n, k, oh, ow);
        }
        WT(k, c, r, s) = (float)sum;
    }
    return 0;
}

/* ------------------------------------------------------------------ pooling: 3 = max deterministic, 2 = average excluding padding */
int cudnnSetPooling2dDescriptor(Pool *p, int mode, int nanOpt, int wh, int ww, int ph, int pw, int sh, int sw) {
    if ((mode != 2 && mode != 3) || nanOpt != 1) return fail(3000, "fake pools: max deterministic or average excluding padding, NaN propagated");
    *p = (Pool){mode, wh, ww, ph, pw, sh, sw};
    return 0;
}

int cudnnGetPooling2dForwardOutputDim(Pool *p, Tensor *x, int *n, int *c, int *h, int *w) {
    *n = x->n; *c = x->c;
    *h = (x->h + 2 * p->ph - p->wh) / p->sh + 1;
    *w = (x->w + 2 * p->pw - p->ww) / p->sw + 1;
    return 0;
}

/* Visits one window: the index of the first NaN or else the first maximum, the in-bounds count, the sum. */
static void window(const Pool *p, const float *plane, int H, int W, int oh, int ow, int *argmax, int *count, double *sum) {
    *argmax = -1; *count = 0; *sum = 0;
    for (int r = 0; r < p->wh; r++) for (int s = 0; s < p->ww; s++) {
        int ih = oh * p->sh - p->ph + r, iw = ow * p->sw - p->pw + s;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        int i = ih * W + iw;
        float v = plane[i], best = *argmax < 0 ? 0.0f : plane[*argmax];
        if (*argmax < 0 || v > best || (v != v && best == best)) *argmax = i; /* the first NaN, else the first maximum */
        (*count)++;
        *sum += plane[i];
    }
}

int cudnnPoolingForward(void *h, Pool *p, const float *alpha, Tensor *xd, const float *x, const float *beta, Tensor *yd, float *y) {
    if (*alpha != 1.0f || *beta != 0.0f) return fail(3000, "alpha 1, beta 0 only");
    int H = xd->h, W = xd->w, OH = yd->h, OW = yd->w;
    for (int nc = 0; nc < xd->n * xd->c; nc++) {
        const float *plane = x + (size_t)nc * H * W;
        for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {
            int arg, count; double sum;
            window(p, plane, H, W, oh, ow, &arg, &count, &sum);
            y[((size_t)nc * OH + oh) * OW + ow] = p->mode == 3 ? plane[arg] : (float)(sum / count);
        }
    }
    return 0;
}

int cudnnPoolingBackward(void *h, Pool *p, const float *alpha, Tensor *yd, const float *y, Tensor *dyd, const float *dy,
                         Tensor *xd, const float *x, const float *beta, Tensor *dxd, float *dx) {
    if (*alpha != 1.0f || *beta != 0.0f) return fail(3000, "alpha 1, beta 0 only");
    int H = xd->h, W = xd->w, OH = yd->h, OW = yd->w;
    memset(dx, 0, sizeof(float) * (size_t)xd->n * xd->c * H * W);
    for (int nc = 0; nc < xd->n * xd->c; nc++) {
        const float *plane = x + (size_t)nc * H * W;
        float *dplane = dx + (size_t)nc * H * W;
        for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {
            float g = dy[((size_t)nc * OH + oh) * OW + ow];
            int arg, count; double sum;
            window(p, plane, H, W, oh, ow, &arg, &count, &sum);
            if (p->mode == 3) { dplane[arg] += g; continue; }
            for (int r = 0; r < p->wh; r++) for (int s = 0; s < p->ww; s++) {
                int ih = oh * p->sh - p->ph + r, iw = ow * p->sw - p->pw + s;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) dplane[ih * W + iw] += g / count;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ batch norm, spatial mode (1) */
static int bn_check(int mode, const float *a, const float *b, const Tensor *x, const Tensor *ch) {
    if (mode != 1) return fail(3000, "spatial batch norm only");
    if (*a != 1.0f || *b != 0.0f) return fail(3000, "alpha 1, beta 0 only");
    if (ch->n != 1 || ch->c != x->c || ch->h != 1 || ch->w != 1) return fail(2000, "bad per-channel descriptor");
    return 0;
}
#define AT(p, n, c, i) (p)[((size_t)(n) * x->c + (c)) * M + (i)]

int cudnnBatchNormalizationForwardTraining(void *h, int mode, const float *alpha, const float *beta, Tensor *x, const float *xp,
                                           Tensor *yd, float *yp, Tensor *ch, const float *gamma, const float *bias, double factor,
                                           float *runMean, float *runVar, double eps, float *saveMean, float *saveInvStd) {
    int st = bn_check(mode, alpha, beta, x, ch);
    if (st) return st;
    last_factor = factor; last_epsilon = eps;
    size_t M = (size_t)x->h * x->w, count = M * x->n;
    for (int c = 0; c < x->c; c++) {
        double sum = 0, sq = 0;
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++) sum += AT(xp, n, c, i);
        double mean = sum / count;
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++) { double d = AT(xp, n, c, i) - mean; sq += d * d; }
        double var = sq / count, inv = 1.0 / sqrt(var + eps);
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++)
            AT(yp, n, c, i) = (float)(gamma[c] * (AT(xp, n, c, i) - mean) * inv + bias[c]);
        runMean[c] = (float)((1 - factor) * runMean[c] + factor * mean);
        runVar[c] = (float)((1 - factor) * runVar[c] + factor * var * count / (count - 1));
        saveMean[c] = (float)mean;
        saveInvStd[c] = (float)inv;
    }
    return 0;
}

int cudnnBatchNormalizationForwardInference(void *h, int mode, const float *alpha, const float *beta, Tensor *x, const float *xp,
                                            Tensor *yd, float *yp, Tensor *ch, const float *gamma, const float *bias,
                                            const float *mean, const float *var, double eps) {
    int st = bn_check(mode, alpha, beta, x, ch);
    if (st) return st;
    last_epsilon = eps;
    size_t M = (size_t)x->h * x->w;
    for (int c = 0; c < x->c; c++) {
        double inv = 1.0 / sqrt(var[c] + eps);
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++)
            AT(yp, n, c, i) = (float)(gamma[c] * (AT(xp, n, c, i) - mean[c]) * inv + bias[c]);
    }
    return 0;
}

int cudnnBatchNormalizationBackward(void *h, int mode, const float *aData, const float *bData, const float *aParam, const float *bParam,
                                    Tensor *x, const float *xp, Tensor *dyd, const float *dy, Tensor *dxd, float *dx, Tensor *ch,
                                    const float *gamma, float *dGamma, float *dBeta, double eps, const float *saveMean,
                                    const float *saveInvStd) {
    int st = bn_check(mode, aData, bData, x, ch);
    if (st == 0) st = bn_check(mode, aParam, bParam, x, ch);
    if (st) return st;
    last_epsilon = eps;
    size_t M = (size_t)x->h * x->w, count = M * x->n;
    for (int c = 0; c < x->c; c++) {
        double db = 0, dg = 0, mean = saveMean[c], inv = saveInvStd[c];
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++) {
            double g = AT(dy, n, c, i);
            db += g;
            dg += g * (AT(xp, n, c, i) - mean) * inv;
        }
        for (int n = 0; n < x->n; n++) for (size_t i = 0; i < M; i++) {
            double xhat = (AT(xp, n, c, i) - mean) * inv;
            AT(dx, n, c, i) = (float)(gamma[c] * inv / count * (count * AT(dy, n, c, i) - db - xhat * dg));
        }
        dGamma[c] = (float)dg;
        dBeta[c] = (float)db;
    }
    return 0;
}
