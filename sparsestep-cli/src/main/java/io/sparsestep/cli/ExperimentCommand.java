package io.sparsestep.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Experiments that chain several commands, each in one command.",
        subcommands = {ExperimentPruneRetrainCommand.class})
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }
}
