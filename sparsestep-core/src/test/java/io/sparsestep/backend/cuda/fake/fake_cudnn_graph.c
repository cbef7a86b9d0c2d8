/* Fake libcudnn_graph.so.9: the fake libcudnn.so.9 dlopens it by soname in cudnnCreate, as cuDNN 9 loads its sub-libraries. */
int cudnnGraphFakeMarker(void) { return 42; }
