package io.sparsestep.backend;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.CudaBackend;
import io.sparsestep.backend.cuda.CudaUnavailableException;

import java.io.PrintStream;

/** Chooses a backend for {@code --device auto|cpu|cuda}. */
public final class Backends {
    private Backends() {}

    /**
     * cpu: the Java backend. cuda: the GPU or a {@code CudaUnavailableException} (one line
     * saying what was searched and how to point at the libraries). auto: the GPU when it
     * works, else the CPU, saying why on {@code log}.
     */
    public static Backend open(String device, PrintStream log) {
        return switch (device) {
            case "cpu" -> new CpuBackend();
            case "cuda" -> CudaBackend.open();
            case "auto" -> {
                try {
                    yield CudaBackend.open();
                } catch (CudaUnavailableException e) {
                    log.println("no usable CUDA GPU (" + headline(e.getMessage()) + "); using the CPU backend"
                            + " (details: sparsestep doctor)");
                    yield new CpuBackend();
                }
            }
            default -> throw new IllegalArgumentException("unknown device '" + device + "'; choose auto, cpu or cuda");
        };
    }

    /** The first clause of an unavailability reason: what is missing, without the search details. */
    static String headline(String reason) {
        String s = reason.startsWith("CUDA unavailable: ") ? reason.substring("CUDA unavailable: ".length()) : reason;
        int cut = s.indexOf(';');
        return cut < 0 ? s : s.substring(0, cut);
    }
}
