package io.sparsestep.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureTest {
    private static List<Integer> repeat(int n, int w) { return Collections.nCopies(n, w); }

    @SafeVarargs
    private static List<Integer> concat(List<Integer>... parts) {
        List<Integer> out = new ArrayList<>();
        for (List<Integer> p : parts) out.addAll(p);
        return out;
    }

    /** First-conv widths of ResNet-56's 27 blocks, in stage order. */
    private static List<Integer> firstConvs(Architecture a) {
        List<Integer> out = new ArrayList<>();
        for (int s = 1; s <= 3; s++) for (int b = 0; b < 9; b++) out.add(a.width("layer" + s + "." + b + ".branch.conv1"));
        return out;
    }

    @Test
    void presetsAreTheWidthsOfAlgorithmsSection82() {
        Architecture v = Architecture.preset("vgg16-a");
        List<Integer> convs = new ArrayList<>();
        for (int i = 1; i <= 13; i++) convs.add(v.width("conv" + i));
        assertEquals(List.of(32, 64, 128, 128, 256, 256, 256, 256, 256, 256, 256, 256, 256), convs);
        assertEquals(13, v.widths().size(), "13 convs; the classifier is not a width");

        // A = [14x7, 16, 14 | 32, 28x8 | 64, 57x7, 64]; B = [6x7, 16, 16 | 32, 22x6, 32, 22 | 64, 57x7, 64]
        assertEquals(concat(repeat(7, 14), List.of(16, 14), List.of(32), repeat(8, 28), List.of(64), repeat(7, 57), List.of(64)),
                firstConvs(Architecture.preset("resnet56-a")));
        assertEquals(concat(repeat(7, 6), List.of(16, 16), List.of(32), repeat(6, 22), List.of(32, 22), List.of(64), repeat(7, 57), List.of(64)),
                firstConvs(Architecture.preset("resnet56-b")));
        // nothing else changes: block outputs and projections keep the stage widths
        Architecture b = Architecture.preset("resnet56-b"), full = Architecture.defaults("resnet56");
        for (String layer : full.widths().keySet()) {
            if (!layer.endsWith(".branch.conv1")) assertEquals(full.width(layer), b.width(layer), layer);
        }
    }

    @Test
    void defaultsNameEveryConvAndLinearLayerButTheClassifier() {
        assertEquals(List.of("fc1", "fc2"), List.copyOf(Architecture.defaults("lenet300").widths().keySet()));
        assertEquals(Map.of("conv1", 20, "conv2", 50, "fc1", 500), Architecture.defaults("lenet5").widths());
        // stem + 9 blocks x 2 + 2 projections
        assertEquals(21, Architecture.defaults("resnet20").widths().size());
        assertEquals(16, Architecture.defaults("resnet20").width("layer1.2.branch.conv2"));
        assertEquals(64, Architecture.defaults("resnet20").width("layer3.0.shortcut.conv"));
        // stem + 12 blocks x 2 + 3 projections (block1.0 widens 16 -> 16k)
        Architecture wrn = Architecture.defaults("wrn28-2");
        assertEquals(28, wrn.widths().size());
        assertEquals(32, wrn.width("block1.0.res.shortcut"));
        assertEquals(128, wrn.width("block3.3.branch.conv2"));
        assertTrue(wrn.isDefault());
        assertFalse(Architecture.preset("vgg16-a").isDefault());
    }

    @Test
    void aResizedModelHasTheGivenWidths() {
        Architecture a = Architecture.preset("resnet56-b");
        int[] in = {3, 32, 32};
        ModelGraph g = ModelGraph.of(Models.create(a, in, 7), in);
        for (ModelGraph.Weighted w : g.weighted()) {
            assertEquals(w == g.classifier() ? 7 : a.width(w.name()), w.outWidth(), w.name());
        }
    }

    @Test
    void jsonRoundTripsAndReadsAsAFile(@TempDir Path dir) throws IOException {
        Architecture a = Architecture.preset("resnet56-a");
        assertEquals(a, Architecture.fromJson(a.toJson(), "x"));
        assertEquals(a, Architecture.fromJson(a.toCompactJson(), "x"));
        assertTrue(a.toJson().contains("\n  \"model\" : \"resnet56\""), a.toJson());
        Path file = Files.writeString(dir.resolve("arch.json"), a.toJson());
        assertEquals(a, Architecture.resolve(file.toString()));
        assertEquals(Architecture.preset("vgg16-a"), Architecture.resolve("vgg16-a"));
        assertTrue(Architecture.isPresetName("resnet56-b"));
        assertFalse(Architecture.isPresetName("./resnet56-b"));
    }

    private static String badJson(String json) {
        return assertThrows(IllegalArgumentException.class, () -> Architecture.fromJson(json, "f.json")).getMessage();
    }

    private static String lenet5(String widths) {
        return "{\"format\": \"sparsestep-architecture\", \"version\": 1, \"model\": \"lenet5\", \"widths\": {" + widths + "}}";
    }

    @Test
    void badFilesAreOneLineNamingTheFileAndTheLayer() {
        assertTrue(badJson("{").startsWith("architecture f.json: is not valid JSON"), badJson("{"));
        assertEquals("architecture f.json: has no \"format\": \"sparsestep-architecture\"", badJson("{\"model\": \"lenet5\"}"));
        assertTrue(badJson(lenet5("\"conv1\": 20, \"conv2\": 50, \"fc1\": 500, \"conv3\": 4"))
                .startsWith("architecture f.json: lenet5 has no conv/linear layer 'conv3' with a width to set"));
        assertTrue(badJson(lenet5("\"conv1\": 20, \"fc1\": 500"))
                .startsWith("architecture f.json: no width for 'conv2': an architecture lists every conv/linear layer of lenet5"));
        assertEquals("architecture f.json: width of 'conv2' is 0; widths are whole numbers >= 1",
                badJson(lenet5("\"conv1\": 20, \"conv2\": 0, \"fc1\": 500")));
        assertEquals("architecture f.json: width of 'conv2' is 2.5, not a whole number", badJson(lenet5("\"conv1\": 20, \"conv2\": 2.5, \"fc1\": 500")));
        assertTrue(badJson(lenet5("").replace("\"version\": 1", "\"version\": 2")).contains("has version 2; this sparsestep reads version 1"));
        assertTrue(badJson("{\"format\": \"sparsestep-architecture\", \"version\": 1, \"model\": \"lenet6\", \"widths\": {}}")
                .contains("unknown model 'lenet6'"));
        for (String m : List.of(badJson("{"), badJson(lenet5("\"conv1\": 20")))) assertFalse(m.contains("\n"), m);
        var preset = assertThrows(IllegalArgumentException.class, () -> Architecture.resolve("vgg16-b"));
        assertTrue(preset.getMessage().contains("vgg16-a, resnet56-a, resnet56-b"), preset.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> Architecture.resolve("/nonexistent/arch.json"));
        assertTrue(missing.getMessage().startsWith("--widths /nonexistent/arch.json: no such file"), missing.getMessage());
    }
}
