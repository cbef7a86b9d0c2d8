/* Fake libcublasLt.so.13: only here so that the fake libcublas.so.13 depends on it, as the real one does. */
int cublasLtFakeMarker(void) { return 7; }
