package io.sparsestep.devices;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.CudaBackend;
import io.sparsestep.backend.cuda.CudaUnavailableException;

import java.io.PrintStream;

/** Chooses a backend for {@code --device auto|cpu|cuda|cuda:N}. */
public final class Backends {
    private Backends() {}

    /**
     * cpu: the Java backend. cuda: GPU 0, cuda:N: GPU N (as CUDA numbers the visible
     * devices, so CUDA_VISIBLE_DEVICES applies), or a {@code CudaUnavailableException} (one
     * line saying what was searched and how to point at the libraries). auto: GPU 0 when it
     * works, else the CPU, saying why on {@code log}.
     */
    public static Backend open(String device, PrintStream log) {
        checkDevice(device);
        if (device.startsWith("cuda:")) return CudaBackend.open(gpuOrdinal(device));
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
            default -> throw new IllegalStateException("checkDevice accepted '" + device + "' but open has no case for it");
        };
    }

    /**
     * Checks the spelling of {@code device} ({@link #open} accepts exactly these) without
     * looking for a GPU, so a command line is checked before anything is loaded or opened.
     */
    public static void checkDevice(String device) {
        if (device.startsWith("cuda:")) {
            gpuOrdinal(device);
        } else if (!device.equals("auto") && !device.equals("cpu") && !device.equals("cuda")) {
            throw new IllegalArgumentException("unknown device '" + device + "'; choose auto, cpu, cuda or cuda:N");
        }
    }

    /** N of "cuda:N". */
    static int gpuOrdinal(String device) {
        String n = device.substring("cuda:".length());
        if (!n.matches("\\d{1,4}")) {
            throw new IllegalArgumentException("unknown device '" + device + "'; a GPU is chosen as cuda:N with N = 0, 1, ...");
        }
        return Integer.parseInt(n);
    }

    /** The first clause of an unavailability reason: what is missing, without the search details. */
    static String headline(String reason) {
        String s = reason.startsWith("CUDA unavailable: ") ? reason.substring("CUDA unavailable: ".length()) : reason;
        int cut = s.indexOf(';');
        return cut < 0 ? s : s.substring(0, cut);
    }
}
