package io.sparsestep;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Packages follow the data (docs/DESIGN.md): {@code backend <- params <- nn / optim <- train
 * <- cli}, {@code shrink} and {@code analysis} between nn/optim and train, and nothing imports upward. Read from the sources' import lines, so a new upward
 * import fails here with the file and the import that break the rule.
 */
class PackageLayeringTest {
    /** Package (prefix) to the packages it must not import (prefixes). */
    private static final Map<String, List<String>> FORBIDDEN = Map.ofEntries(
            Map.entry("io.sparsestep.backend", List.of("io.sparsestep.params", "io.sparsestep.nn", "io.sparsestep.optim", "io.sparsestep.train",
                    "io.sparsestep.cli", "io.sparsestep.devices", "io.sparsestep.bench", "io.sparsestep.data")),
            Map.entry("io.sparsestep.params", List.of("io.sparsestep.nn", "io.sparsestep.optim", "io.sparsestep.train", "io.sparsestep.cli",
                    "io.sparsestep.devices", "io.sparsestep.data")),
            Map.entry("io.sparsestep.nn", List.of("io.sparsestep.optim", "io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices")),
            Map.entry("io.sparsestep.optim", List.of("io.sparsestep.nn", "io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices")),
            Map.entry("io.sparsestep.data", List.of("io.sparsestep.backend", "io.sparsestep.nn", "io.sparsestep.optim", "io.sparsestep.train",
                    "io.sparsestep.cli")),
            Map.entry("io.sparsestep.prune", List.of("io.sparsestep.nn", "io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices")),
            // the shrink reads models (nn) and nothing that runs or stores them
            Map.entry("io.sparsestep.shrink", List.of("io.sparsestep.optim", "io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices",
                    "io.sparsestep.bench", "io.sparsestep.data")),
            // files: model formats (ONNX, safetensors) and checkpoints, which hold a network's tensors and an
            // optimizer's state buffers; nothing that runs a training loop or picks a device
            Map.entry("io.sparsestep.store", List.of("io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices",
                    "io.sparsestep.bench")),
            // the analysis math (Lanczos, Hessian products, loss paths) runs networks and never knows of runs or files
            Map.entry("io.sparsestep.analysis", List.of("io.sparsestep.train", "io.sparsestep.cli", "io.sparsestep.devices", "io.sparsestep.bench",
                    "io.sparsestep.shrink")),
            Map.entry("io.sparsestep.train", List.of("io.sparsestep.cli", "io.sparsestep.bench")),
            // the run outputs know nothing of what uses them; mask similarity nothing of comparisons
            Map.entry("io.sparsestep.train.io", List.of("io.sparsestep.train.compare", "io.sparsestep.train.masks")),
            Map.entry("io.sparsestep.train.masks", List.of("io.sparsestep.train.compare")),
            Map.entry("io.sparsestep.bench", List.of("io.sparsestep.cli")));
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.sparsestep\\.[\\w.]+)\\.[\\w*]+;", Pattern.MULTILINE);
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

    @Test
    void noPackageImportsUpward() throws IOException {
        List<String> broken = new ArrayList<>();
        int files = 0;
        Path repo = io.sparsestep.testing.NativeToolchain.repository();
        for (Path root : List.of(repo.resolve("sparsestep-core/src/main/java"), repo.resolve("sparsestep-cli/src/main/java"),
                repo.resolve("bench/src/main/java"))) {
            try (Stream<Path> sources = Files.walk(root)) {
                for (Path f : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    String text = Files.readString(f);
                    Matcher pm = PACKAGE.matcher(text);
                    assertTrue(pm.find(), f + " has no package line");
                    String pkg = pm.group(1);
                    Matcher im = IMPORT.matcher(text);
                    while (im.find()) {
                        String imported = im.group(1);
                        for (Map.Entry<String, List<String>> rule : FORBIDDEN.entrySet()) {
                            if (!within(pkg, rule.getKey())) continue;
                            for (String no : rule.getValue()) {
                                if (within(imported, no)) broken.add(f + " (" + pkg + ") imports " + imported);
                            }
                        }
                        // backend itself stays free of its implementations (the devices package picks one)
                        if (pkg.equals("io.sparsestep.backend") && (within(imported, "io.sparsestep.backend.cpu")
                                || within(imported, "io.sparsestep.backend.cuda"))) {
                            broken.add(f + " (backend) imports its implementation " + imported);
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "read " + files + " files: wrong working directory?");
        assertEquals(List.of(), broken);
    }

    private static boolean within(String pkg, String prefix) {
        return pkg.equals(prefix) || pkg.startsWith(prefix + ".");
    }
}
