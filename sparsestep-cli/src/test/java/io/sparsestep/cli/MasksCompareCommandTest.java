package io.sparsestep.cli;

import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.masks.Jaccard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparsestep masks compare} on hand-made weights files: the table's counts, Jaccard
 * index and chance level for masks counted by hand, identical masks at 1, a masked run against
 * an unmasked one, and runs of other models, missing files and a single run refused in one line.
 */
class MasksCompareCommandTest {
    @TempDir
    Path dir;

    @Test
    void handCountedMasksInEveryOutput() throws IOException {
        // fc1 [2, 4]: a keeps {0, 1, 2, 5} by its nonzeros, b {1, 2, 3} by its mask (its entry 3 is a kept 0.0)
        Path a = weights("a", false, new float[]{1, 2, 3, 0, 0, 4, 0, 0}, new float[]{1, 1});
        Path b = weights("b", true, new float[]{0, 5, 6, 0, 0, 0, 0, 0}, new float[]{1, 0});
        Path out = dir.resolve("similarity");
        CliRun run = CliRun.of("masks", "compare", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("a: " + a.resolve("weights.safetensors") + " (exact zeros): sparsity 0.4000 of 10 conv/linear weights"), run.out());
        assertTrue(run.out().contains("b: " + b.resolve("weights.safetensors") + " (pruned by the mask): sparsity 0.6000 of 10"), run.out());

        List<String> csv = Files.readAllLines(out.resolve("jaccard.csv"));
        assertEquals(List.of("a,b,fc1,8,4,3,2,5,0.5,0.375,0.4," + Jaccard.chance(8, 4, 3),
                "a,b,fc2,2,2,1,1,2,1.0,0.5,0.5," + Jaccard.chance(2, 2, 1),
                "a,b,overall,10,6,4,3,7,0.6,0.4," + (3.0 / 7) + "," + Jaccard.chance(10, 6, 4)), csv.subList(1, csv.size()));
        // a mask keeping all of fc2 overlaps any other exactly as much as chance says
        assertEquals(0.5, Jaccard.chance(2, 2, 1), 0);
        String md = Files.readString(out.resolve("jaccard.md"));
        assertTrue(md.contains("| a vs b | overall | 10 | 6 | 4 | 3 | 0.6000 | 0.4000 | 0.4286 | "), md);
        assertTrue(md.contains("exact expected Jaccard index"), md);
        var png = ImageIO.read(out.resolve("jaccard.png").toFile());
        assertTrue(png.getHeight() >= 2 * 300, "the Jaccard panel and the chance panel: " + png.getHeight());
    }

    @Test
    void identicalMasksScoreOne() throws IOException {
        Path a = weights("a", false, new float[]{1, 2, 3, 0, 0, 4, 0, 0}, new float[]{1, 0});
        Path out = dir.resolve("same");
        CliRun run = CliRun.of("masks", "compare", a.toString(), a.resolve("weights.safetensors").toString(), "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        for (String line : Files.readAllLines(out.resolve("jaccard.csv")).subList(1, 4)) {
            assertEquals("1.0", line.split(",")[10], line);
        }
        // two arguments naming one run get the arguments as labels
        assertTrue(Files.readString(out.resolve("jaccard.csv")).contains(a + "," + a.resolve("weights.safetensors")));
    }

    @Test
    void otherModelsAndMissingRunsAreRefusedInOneLine() throws IOException {
        Path a = weights("a", false, new float[]{1, 2, 3, 0, 0, 4, 0, 0}, new float[]{1, 0});
        Path wide = dir.resolve("wide");
        Files.createDirectories(wide);
        LinkedHashMap<String, FloatTensorData> t = new LinkedHashMap<>();
        t.put("fc1.weight", tensor(new int[]{4, 2}, new float[8]));
        t.put("fc2.weight", tensor(new int[]{1, 2}, new float[2]));
        Safetensors.write(wide.resolve("weights.safetensors"), t, Map.of());
        Path out = dir.resolve("refused");
        String line = CliRun.of("masks", "compare", a.toString(), wide.toString(), "--out", out.toString()).badInputLine();
        assertTrue(line.contains("not the same model: tensor 'fc1.weight' has shape [4, 2] in " + wide.resolve("weights.safetensors")
                + " but [2, 4] in " + a.resolve("weights.safetensors")), line);
        assertTrue(CliRun.of("masks", "compare", a.toString(), dir.resolve("absent").toString(), "--out", out.toString()).badInputLine()
                .contains(dir.resolve("absent") + ": no such file or folder"));
        assertTrue(CliRun.of("masks", "compare", a.toString(), "--out", out.toString()).badInputLine().contains("RUN"));
        assertFalse(Files.exists(out), "nothing written for refused inputs");
    }

    /** A run folder with fc1.weight [2, 4] and fc2.weight [1, 2], and masks of their nonzeros (or of all ones for a kept zero) if {@code masked}. */
    private Path weights(String name, boolean masked, float[] fc1, float[] fc2) throws IOException {
        Path run = Files.createDirectories(dir.resolve(name));
        LinkedHashMap<String, FloatTensorData> t = new LinkedHashMap<>();
        t.put("fc1.weight", tensor(new int[]{2, 4}, fc1));
        t.put("fc1.bias", tensor(new int[]{2}, new float[]{0, 0}));
        t.put("fc2.weight", tensor(new int[]{1, 2}, fc2));
        if (masked) {
            float[] m1 = new float[8];
            for (int i = 0; i < 8; i++) m1[i] = fc1[i] != 0 || i == 3 ? 1 : 0;
            float[] m2 = new float[2];
            for (int i = 0; i < 2; i++) m2[i] = fc2[i] != 0 ? 1 : 0;
            t.put("mask.prune.fc1.weight", tensor(new int[]{2, 4}, m1));
            t.put("mask.prune.fc2.weight", tensor(new int[]{1, 2}, m2));
        }
        Safetensors.write(run.resolve("weights.safetensors"), t, Map.of("format", "sparsestep"));
        return run;
    }

    private static final Arena ARENA = Arena.ofAuto();

    private static FloatTensorData tensor(int[] shape, float[] values) {
        MemorySegment data = ARENA.allocate(4L * values.length, 4);
        MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT, 0, values.length);
        return new FloatTensorData(shape, data);
    }
}
