package io.sparsestep.bench;

import java.util.List;

/** JVM flags every benchmark fork needs: FFM native access (CUDA bindings) and the Vector API (CPU kernels). */
public final class BenchJvm {
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    public static final String ADD_MODULES = "--add-modules";
    public static final String VECTOR_MODULE = "jdk.incubator.vector";

    private BenchJvm() {}

    public static List<String> flags() { return List.of(NATIVE_ACCESS, ADD_MODULES, VECTOR_MODULE); }
}
