/* Fake libcublas.so.13 (links against the fake libcublasLt): handle, stream, math mode, column-major SGEMM. */
#include <stdlib.h>

int cublasLtFakeMarker(void);

typedef struct { void *stream; int math; } Handle;

int cublasCreate_v2(void **h) {
    if (cublasLtFakeMarker() != 7) return 1;
    *h = calloc(1, sizeof(Handle));
    return 0;
}
int cublasDestroy_v2(void *h) { free(h); return 0; }
int cublasSetStream_v2(void *h, void *stream) { ((Handle *)h)->stream = stream; return 0; }
int cublasSetMathMode(void *h, int mode) { ((Handle *)h)->math = mode; return mode == 0 ? 0 : 7; }
int cublasGetVersion_v2(void *h, int *v) { *v = 130100; return 0; }
const char *cublasGetStatusString(int s) { return s == 7 ? "an invalid value was used as an argument" : "fake status"; }

static int maxi(int a, int b) { return a > b ? a : b; }

int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
                   const float *B, int ldb, const float *beta, float *C, int ldc) {
    if (m < 0 || n < 0 || k < 0 || ta < 0 || ta > 1 || tb < 0 || tb > 1) return 7;
    if (lda < maxi(1, ta == 0 ? m : k) || ldb < maxi(1, tb == 0 ? k : n) || ldc < maxi(1, m)) return 7;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            float sum = 0.0f;
            for (int l = 0; l < k; l++) {
                float a = ta == 0 ? A[i + (long)l * lda] : A[l + (long)i * lda];
                float b = tb == 0 ? B[l + (long)j * ldb] : B[j + (long)l * ldb];
                sum += a * b;
            }
            float *c = &C[i + (long)j * ldc];
            *c = *alpha * sum + (*beta == 0.0f ? 0.0f : *beta * *c);
        }
    return 0;
}
