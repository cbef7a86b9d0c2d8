package io.sparsestep.cli;

import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export} as a user runs it: next to the weights by default, one line describing the
 * file; weights from before the normalisation was recorded are exported with it computed from
 * the training data, giving the same file as with it recorded; bad input is one line and
 * exit 2 with nothing written.
 */
class ExportCommandTest {
    @Test
    void exportsNextToTheRunAndOlderWeightsGetTheirNormalisationFromTheData(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, CliRun.of("train", "--model", "lenet300", "--epochs", "1", "--train-samples", "300", "--test-samples", "50",
                "--device", "cpu", "--no-progress", "--out", run.toString()).code());
        CliRun e = CliRun.of("export", run.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains(run.resolve("model.onnx") + ": ONNX opset 17, ") && e.out().contains("normalisation from the weights' metadata"), e.out());
        CliRun s = CliRun.of("export", run.toString(), "--variant", "shrunk", "--sparse-initializers");
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.isRegularFile(run.resolve("model-shrunk-sparse.onnx")));

        // weights written before the normalisation was recorded: the same model, from the training split
        Path old = dir.resolve("old.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> t = Safetensors.read(run.resolve("weights.safetensors"), arena);
            Map<String, String> meta = new LinkedHashMap<>(Safetensors.readMetadata(run.resolve("weights.safetensors")));
            meta.remove("normalization");
            Safetensors.write(old, t, meta);
        }
        CliRun o = CliRun.of("export", old.toString(), "--out", dir.resolve("old.onnx").toString(), "--train-samples", "300");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("the weights record no input normalisation; computing it from synth-digits"), o.out());
        assertTrue(o.out().contains("normalisation from the training split"), o.out());
        assertArrayEquals(graphOf(run.resolve("model.onnx")), graphOf(dir.resolve("old.onnx")), "the same graph and tensors");
    }

    /** The model's graph bytes (the metadata names the source file, which differs). */
    private static byte[] graphOf(Path onnx) throws Exception {
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx)).getGraph().toByteArray();
    }

    @Test
    void badInputIsOneLineAndNothingWritten(@TempDir Path dir) {
        assertTrue(CliRun.of("export", dir.resolve("none").toString()).badInputLine().contains("no such folder or file"));
        assertTrue(CliRun.of("export", dir.toString()).badInputLine().contains("holds neither weights.safetensors nor checkpoint.safetensors"));
        assertTrue(CliRun.of("export", dir.toString(), "--format", "tflite").badInputLine().contains("--format must be onnx, got 'tflite'"));
        assertTrue(CliRun.of("export", dir.toString(), "--variant", "tiny").badInputLine().contains("--variant must be dense or shrunk"));
        assertFalse(Files.exists(dir.resolve("model.onnx")));
    }
}
