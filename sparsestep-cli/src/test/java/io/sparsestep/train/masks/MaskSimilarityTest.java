package io.sparsestep.train.masks;

import io.sparsestep.train.SparsityReport;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.sparsestep.train.masks.JaccardTest.bits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pairs of run masks: per layer, pooled over the layers, every pair once, and one model only. */
class MaskSimilarityTest {
    @Test
    void everyPairPerLayerAndPooled() {
        // fc1 has 8 entries, fc2 4
        RunMask a = mask("a", bits(0, 1, 2, 5), bits(0, 1));
        RunMask b = mask("b", bits(1, 2, 3), bits(0, 1));
        RunMask c = mask("c", bits(0, 1, 2, 5), bits(2, 3));
        List<MaskSimilarity.Pair> pairs = MaskSimilarity.compare(List.of(a, b, c));
        assertEquals(List.of("a vs b", "a vs c", "b vs c"), pairs.stream().map(MaskSimilarity.Pair::name).toList());

        MaskSimilarity.Pair ab = pairs.getFirst();
        assertEquals(new LayerSimilarity("fc1", 8, 4, 3, 2), ab.layers().get(0));
        assertEquals(new LayerSimilarity("fc2", 4, 2, 2, 2), ab.layers().get(1));
        assertEquals(0.4, ab.layers().get(0).jaccard(), 0);
        assertEquals(1.0, ab.layers().get(1).jaccard(), 0);
        // pooled: both keep 2 + 2 of 12, either 5 + 2: 4/7, not the mean of 0.4 and 1
        assertEquals(new LayerSimilarity(LayerSimilarity.OVERALL, 12, 6, 5, 4), ab.overall());
        assertEquals(4.0 / 7, ab.overall().jaccard(), 1e-15);
        assertEquals(Jaccard.chance(12, 6, 5), ab.overall().chance(), 0);

        MaskSimilarity.Pair ac = pairs.get(1);
        assertEquals(1.0, ac.layers().get(0).jaccard(), 0);
        assertEquals(0.0, ac.layers().get(1).jaccard(), 0);
    }

    @Test
    void masksOfAnotherModelAreRefusedByTheirFirstDifference() {
        RunMask a = mask("a", bits(0), bits(1));
        RunMask other = new RunMask("x", Path.of("x.safetensors"), SparsityReport.Source.EXACT_ZEROS,
                Map.of("fc1.weight", List.of(2, 4), "fc2.weight", List.of(4, 1)),
                List.of(new LayerMask("fc1.weight", new int[]{2, 4}, bits(0)), new LayerMask("fc2.weight", new int[]{4, 1}, bits(0))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskSimilarity.compare(List.of(a, other)));
        assertTrue(e.getMessage().startsWith("not the same model: tensor 'fc2.weight' has shape [4, 1] in x.safetensors but [2, 2]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MaskSimilarity.compare(List.of(a)));
    }

    @Test
    void theTablesCarryTheCountsAndBothIndices() {
        List<MaskSimilarity.Pair> pairs = MaskSimilarity.compare(List.of(mask("a", bits(0, 1, 2, 5), bits(0, 1)),
                mask("b|c", bits(1, 2, 3), bits(0, 1))));
        List<String> csv = SimilarityTable.csv(pairs).lines().toList();
        assertEquals(String.join(",", SimilarityTable.CSV_HEADER), csv.getFirst());
        assertEquals("a,b|c,fc1,8,4,3,2,5,0.5,0.375,0.4," + Jaccard.chance(8, 4, 3), csv.get(1));
        assertEquals(4, csv.size(), "a header, two layers and the overall row");
        String md = SimilarityTable.markdown(pairs);
        assertTrue(md.contains("| a vs b\\|c | fc1 | 8 | 4 | 3 | 2 | 0.5000 | 0.3750 | 0.4000 | "
                + String.format(java.util.Locale.ROOT, "%.4f", Jaccard.chance(8, 4, 3)) + " |"), md);
        assertTrue(SimilarityTable.console(pairs).lines().anyMatch(l -> l.matches("a vs b\\|c\\s+overall\\s+12 .*")), SimilarityTable.console(pairs));
    }

    /** A mask of a two-layer model: fc1.weight [2, 4], fc2.weight [2, 2]. */
    static RunMask mask(String label, BitSet fc1, BitSet fc2) {
        Map<String, List<Integer>> tensors = new LinkedHashMap<>();
        tensors.put("fc1.weight", List.of(2, 4));
        tensors.put("fc2.weight", List.of(2, 2));
        return new RunMask(label, Path.of(label + ".safetensors"), SparsityReport.Source.MASK, tensors,
                List.of(new LayerMask("fc1.weight", new int[]{2, 4}, fc1), new LayerMask("fc2.weight", new int[]{2, 2}, fc2)));
    }
}
