package io.sparsestep.cli;

import io.sparsestep.data.fetch.Catalog;
import io.sparsestep.data.fetch.FetchProgress;
import io.sparsestep.data.fetch.Fetcher;
import io.sparsestep.data.fetch.Remote;
import io.sparsestep.train.io.TrainProgress;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = "Download mnist, cifar10 or cifar100 from their usual mirrors (as torchvision's download=True), check each file "
                + "against its published MD5, resume a broken or killed download, unpack it where the loaders look, and read it once "
                + "to prove it; offline, one line names the URL and how to place the file by hand. Then: train --dataset D --data-dir DIR.")
public final class DataFetchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DATASET", description = "mnist, cifar10 or cifar100")
    String dataset;

    @Option(names = "--dir", description = "Folder to fetch into; pass the same to train --data-dir (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("data");

    @Option(names = "--mirror", paramLabel = "URL", description = "Base URL to fetch from instead of the usual mirrors (repeatable, tried in order; "
            + "each file's URL is the base plus its name), e.g. a local copy")
    List<String> mirrors;

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;

    @Override
    public Integer call() {
        Remote remote = Catalog.of(dataset);
        if (mirrors != null) remote = remote.withMirrors(mirrors.stream().map(m -> m.endsWith("/") ? m : m + "/").toList());
        FetchProgress progress = !noProgress && TrainProgress.attachedToTerminal() ? new Bar() : FetchProgress.lines(System.out);
        Fetcher.Result r = Fetcher.fetch(remote, dir, progress);
        System.out.printf(Locale.ROOT, "%s: %,d training and %,d test images read from %s; train with --dataset %s --data-dir %s%n", dataset,
                r.probe().train().count(), r.probe().test().count(), dir.toAbsolutePath(), dataset, dir);
        return 0;
    }

    /** The download as a bar in MB on a terminal, the events as lines above it. */
    private static final class Bar implements FetchProgress {
        private ProgressBar bar;

        @Override
        public void line(String text) {
            System.out.println(text);
        }

        @Override
        public void start(String name, long total, long already) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" MB", 1_000_000).showSpeed().build();
            bar.stepTo(already);
        }

        @Override
        public void advance(long bytes) {
            if (bar != null) bar.stepBy(bytes);
        }

        @Override
        public void finish() {
            if (bar != null) bar.close();
            bar = null;
        }
    }
}
