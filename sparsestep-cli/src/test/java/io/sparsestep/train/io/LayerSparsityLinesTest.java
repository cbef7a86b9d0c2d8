package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSparsityLinesTest {
    @Test
    void aSmallNetworkShowsEveryLayerInNetworkOrder() {
        LinkedHashMap<String, Double> layers = new LinkedHashMap<>();
        layers.put("fc1", 0.9615);
        layers.put("fc2", 0.5);
        layers.put("fc3", 0.0125);
        assertEquals(List.of("      layer sparsity: fc1 0.962  fc2 0.500  fc3 0.013"), LayerSparsityLines.of(layers));
        assertEquals(List.of(), LayerSparsityLines.of(new LinkedHashMap<>()));
    }

    /** ResNet-56's 57 layers: the line was 3,000 characters. */
    @Test
    void aDeepNetworkShowsTheLeastAndMostSparseAndCountsTheRest() {
        LinkedHashMap<String, Double> layers = new LinkedHashMap<>();
        layers.put("conv1", 0.25);
        for (int stage = 1; stage <= 3; stage++) {
            for (int block = 0; block < 9; block++) {
                layers.put("layer" + stage + "." + block + ".branch.conv1", 0.5 + 0.001 * (stage * 10 + block));
                layers.put("layer" + stage + "." + block + ".branch.conv2", 0.5 + 0.001 * (stage * 10 + block));
            }
        }
        layers.put("layer2.0.shortcut", 0.1);
        layers.put("fc", 0.999);
        assertEquals(57, layers.size());
        List<String> lines = LayerSparsityLines.of(layers);
        assertEquals(List.of(
                "      least sparse layers: layer2.0.shortcut 0.100  conv1 0.250  layer1.0.branch.conv1 0.510"
                        + "  layer1.0.branch.conv2 0.510",
                "      most sparse layers:  layer3.7.branch.conv2 0.537  layer3.8.branch.conv1 0.538"
                        + "  layer3.8.branch.conv2 0.538  fc 0.999  (49 more in metrics.csv)"), lines);
        for (String line : lines) assertTrue(line.length() < 160, line.length() + " characters: " + line);
    }
}
