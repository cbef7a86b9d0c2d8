package io.sparsestep.cli;

import io.sparsestep.backend.cuda.CudaDoctor;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Report driver, CUDA, cuBLAS and cuDNN versions and paths, the GPU, and check every GPU op against the CPU. "
                + "Exit 0 when all pass, 1 on a failed check, 2 when no usable GPU.")
public final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() { return CudaDoctor.run(System.out); }
}
