package io.sparsestep.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "masks", mixinStandardHelpOptions = true, description = "Pruning masks of trained runs.",
        subcommands = {MasksCompareCommand.class})
public final class MasksCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }
}
