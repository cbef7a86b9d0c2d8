package io.sparsestep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.train.WeightsFile;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --widths}: an architecture file or preset names the model, is trained, and is recorded for eval, shrink and resume. */
class TrainWidthsTest {
    @Test
    void anArchitectureFileIsTrainedAndRecorded(@TempDir Path dir) throws IOException {
        Architecture narrow = Architecture.defaults("lenet5").with(Map.of("conv1", 8, "conv2", 16, "fc1", 64));
        Path file = Files.writeString(dir.resolve("narrow.json"), narrow.toJson());
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--widths", file.toString(), "--epochs", "1", "--train-samples", "200", "--test-samples", "50",
                "--batch-size", "50", "--device", "cpu", "--no-progress", "--out", out.toString());
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("lenet5 (--widths " + file + ") on synth-digits"), train.out());
        long params = ModelCost.of(narrow, new int[] {1, 28, 28}, 10).parameters();
        assertEquals(params, new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("runs").get(0).get("params").asLong());
        // the weights say their architecture; the checkpoint records --widths for resume (absolute, like --init-from)
        assertEquals(narrow, WeightsFile.describe(out.resolve("weights.safetensors"), null, null).architecture());
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        assertEquals(narrow, WeightsFile.describe(ckpt, null, null).architecture());
        try (Arena arena = Arena.ofConfined()) {
            List<String> args = Checkpoint.read(ckpt, arena).args();
            assertEquals(file.toAbsolutePath().toString(), args.get(args.indexOf("--widths") + 1));
            assertEquals("lenet5", args.get(args.indexOf("--model") + 1));
        }
        assertEquals(narrow, Architecture.fromJson(Safetensors.readMetadata(out.resolve("weights.safetensors")).get("architecture"), "w"));
    }

    @Test
    void modelAndWidthsMustAgreeAndOneOfThemIsNeeded(@TempDir Path dir) {
        String none = CliRun.of("train", "--epochs", "1", "--out", dir.resolve("a").toString()).badInputLine();
        assertTrue(none.contains("--model is required"), none);
        String clash = CliRun.of("train", "--model", "lenet5", "--widths", "vgg16-a", "--out", dir.resolve("b").toString()).badInputLine();
        assertTrue(clash.contains("--widths vgg16-a is an architecture of vgg16, not of --model lenet5"), clash);
        String preset = CliRun.of("train", "--widths", "vgg16-b", "--out", dir.resolve("c").toString()).badInputLine();
        assertTrue(preset.contains("no preset (vgg16-a, resnet56-a, resnet56-b)"), preset);
        assertTrue(!Files.exists(dir.resolve("a")) && !Files.exists(dir.resolve("b")) && !Files.exists(dir.resolve("c")), "bad input writes nothing");
    }
}
