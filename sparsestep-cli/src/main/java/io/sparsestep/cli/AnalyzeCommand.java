package io.sparsestep.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "How two trained runs relate (the gRDA authors' checks of directional pruning): the loss along the straight "
                + "line and a trained Bezier curve between them (curve), and the share of their difference in the top Hessian "
                + "eigenspace (hessian).",
        subcommands = {AnalyzeCurveCommand.class, AnalyzeHessianCommand.class})
public final class AnalyzeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }
}
