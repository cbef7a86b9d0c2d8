package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.CudaBackend;

import java.util.Optional;

/** The two backends a benchmark can run on. */
public enum BenchDevice {
    CPU("cpu"),
    CUDA("cuda");

    private final String id;

    BenchDevice(String id) { this.id = id; }

    public String id() { return id; }

    /** A fresh backend; each benchmark trial gets its own, so its peak-memory figure is its own. */
    public Backend open() {
        return switch (this) {
            case CPU -> new CpuBackend();
            case CUDA -> CudaBackend.open();
        };
    }

    /** Why this device cannot be used here, or empty when it can. */
    public Optional<String> unavailableReason() {
        return this == CPU ? Optional.empty() : CudaBackend.unavailableReason();
    }

    public static BenchDevice of(String id) {
        for (BenchDevice d : values()) if (d.id.equals(id)) return d;
        throw new IllegalArgumentException("unknown benchmark device '" + id + "'; choose cpu or cuda");
    }
}
