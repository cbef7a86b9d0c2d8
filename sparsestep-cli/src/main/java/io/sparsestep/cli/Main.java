package io.sparsestep.cli;

import io.sparsestep.backend.cuda.CudaUnavailableException;
import io.sparsestep.data.DataException;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;

/**
 * The {@code sparsestep} command. Exit codes: 0 success, 1 a failed check or an internal
 * error, 2 bad input (options, data files, missing CUDA, a diverged run) with one line
 * on stderr that names the problem and the fix.
 */
@Command(name = "sparsestep", mixinStandardHelpOptions = true, version = "sparsestep 0.1.0",
        description = "Train sparse networks by pruning during training (gRDA directional pruning) on the CPU or a CUDA GPU.",
        subcommands = {TrainCommand.class, ResumeCommand.class, DemoCommand.class, CompareCommand.class, MasksCommand.class, ImpCommand.class, ExperimentCommand.class, EvalCommand.class, ShrinkCommand.class, RetrainCommand.class, PcaWidthsCommand.class, TuneCommand.class, DataCommand.class, ExportCommand.class, AnalyzeCommand.class, DoctorCommand.class, io.sparsestep.bench.BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) { System.exit(execute(args)); }

    /** The command tree, with every training method's options registered on train and demo (from the method registry). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (String command : new String[] {"train", "demo", "tune"}) MethodOptions.register(cl.getSubcommands().get(command).getCommandSpec());
        cl.getSubcommands().get("compare").getCommandSpec().usageMessage().footer(CompareCommand.footer());
        MethodOptions.register(cl.getSubcommands().get("imp").getCommandSpec(), io.sparsestep.optim.MagnitudeSpec.METHOD, ImpCommand.TRAINER_OPTIONS);
        return cl;
    }

    /** Runs the CLI and returns the exit code (tests call this). */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();

            if (ex instanceof RunStoppedException stopped) {
                // Ctrl-C or SIGTERM: the shell's code for the signal, and where to continue from
                commandLine.getErr().println("sparsestep: " + firstLine(msg));
                return stopped.exitCode();
            }
            if (isBadInput(ex)) {
                commandLine.getErr().println("sparsestep: " + firstLine(msg));
                return EXIT_BAD_INPUT;
            }
            commandLine.getErr().println("sparsestep: internal error: " + msg);
            ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            String suggestion = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                // picocli ranks the known names by similarity: a typo gets the nearest one
                suggestion = "; did you mean " + String.join(" or ", u.getSuggestions().subList(0, Math.min(2, u.getSuggestions().size()))) + "?";
            }
            ex.getCommandLine().getErr().println("sparsestep: " + firstLine(ex.getMessage()) + suggestion + " (see --help)");
            return EXIT_BAD_INPUT;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Errors through
            cl.getErr().println("sparsestep: " + outOfMemory(e));
            return EXIT_BAD_INPUT;
        }
    }

    /**
     * The heap holds the datasets and GEMM packing scratch, and -Xmx raises it; native
     * allocations (Arena.allocate: host staging for batches) fail with "Unable to allocate"
     * and no JVM flag raises their limit, only host memory.
     */
    static String outOfMemory(OutOfMemoryError e) {
        String what = String.valueOf(e.getMessage());
        if (what.startsWith("Unable to allocate")) {
            return "out of host memory (" + what + "): lower --batch-size or use a smaller model; this memory is native, "
                    + "outside the Java heap, so -Xmx does not change it";
        }
        return "out of Java heap (" + what + "): lower --batch-size, use fewer --train-samples, or raise the heap with "
                + "SPARSESTEP_JAVA_OPTS=-Xmx8g";
    }

    static boolean isBadInput(Throwable ex) {
        return ex instanceof DataException || ex instanceof IllegalArgumentException || ex instanceof CudaUnavailableException
                || ex instanceof TrainingDivergedException || ex instanceof io.sparsestep.optim.NonFiniteGradientException || ex instanceof UncheckedIOException || ex instanceof java.io.IOException
                || ex instanceof io.sparsestep.backend.BackendOutOfMemoryException || ex instanceof io.sparsestep.store.CheckpointException;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
