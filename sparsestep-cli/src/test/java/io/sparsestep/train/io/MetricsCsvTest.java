package io.sparsestep.train.io;

import io.sparsestep.store.EpochRow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsCsvTest {
    @TempDir
    Path dir;

    private static LinkedHashMap<String, Double> layers(Object... nameValue) {
        LinkedHashMap<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            map.put((String) nameValue[i], (Double) nameValue[i + 1]);
        }
        return map;
    }

    private static final EpochRow FIRST = new EpochRow(1, 0.1, 2.5, 0.25, 2.0, 0.5, 0.125, 10.5,
            layers("conv1", 0.0, "fc1", 0.25));
    // Map order differs from the column order on purpose: columns follow the given layer list.
    private static final EpochRow SECOND = new EpochRow(2, 1.0E-4, 1.25, 0.75, 1.5, 0.875, 0.5, 21.0,
            layers("fc1", 0.625, "conv1", 0.375));

    @Test
    void writesExactHeaderAndRows() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv.write(file, List.of("conv1", "fc1"), List.of(FIRST, SECOND));
        assertEquals("""
                epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,sparsity,seconds,sparsity:conv1,sparsity:fc1
                1,0.1,2.5,0.25,2.0,0.5,0.125,10.5,0.0,0.25
                2,1.0E-4,1.25,0.75,1.5,0.875,0.5,21.0,0.375,0.625
                """, Files.readString(file));
    }

    @Test
    void appendRewritesTheWholeFileEachEpoch() throws IOException {
        Path file = dir.resolve("run/metrics.csv");
        MetricsCsv csv = new MetricsCsv(file, List.of("conv1", "fc1"));
        csv.append(FIRST);
        List<String> afterOne = Files.readAllLines(file);
        assertEquals(2, afterOne.size());
        assertEquals("1,0.1,2.5,0.25,2.0,0.5,0.125,10.5,0.0,0.25", afterOne.get(1));
        csv.append(SECOND);
        List<String> afterTwo = Files.readAllLines(file);
        assertEquals(3, afterTwo.size());
        assertEquals(afterOne, afterTwo.subList(0, 2));
        assertEquals(List.of(FIRST, SECOND), csv.rows());
    }

    @Test
    void noLayersGivesOnlyFixedColumnsAndNanIsSpelledOut() {
        EpochRow diverged = new EpochRow(3, 0.5, Double.NaN, 0.1, Double.POSITIVE_INFINITY, 0.1, 0.0, 1.0,
                new LinkedHashMap<>());
        assertEquals("epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,sparsity,seconds\n"
                + "3,0.5,NaN,0.1,Infinity,0.1,0.0,1.0\n", MetricsCsv.render(List.of(), List.of(diverged)));
    }

    /**
     * A step schedule's second stage: 0.1 x 0.1 is 0.010000000000000002 in double, but the
     * kernels apply the float 0.01, and that is what the row says; every other number is the
     * double computed, in its shortest round-tripping form.
     */
    @Test
    void numbersAreTheShortestFormOfTheValueComputed() {
        double steppedLr = 0.1 * 0.1;
        double loss = 2.302585092994046 / 3;
        EpochRow row = new EpochRow(2, steppedLr, loss, 0.9967, loss, 0.9972, 2962.0 / 3081, 12.5,
                layers("fc1", 1.0 / 3));
        String line = MetricsCsv.render(List.of("fc1"), List.of(row)).lines().toList().get(1);
        assertEquals("2,0.01,0.7675283643313486,0.9967,0.7675283643313486,0.9972,0.96137617656605,12.5,0.3333333333333333",
                line);
        String[] cells = line.split(",");
        assertEquals((float) steppedLr, Float.parseFloat(cells[1]), "lr is the float the kernels apply, exactly");
        assertEquals(loss, Double.parseDouble(cells[2]), "doubles round-trip exactly");
        assertEquals(2962.0 / 3081, Double.parseDouble(cells[6]));
        assertEquals("1.0E-4", MetricsCsv.render(List.of(), List.of(new EpochRow(1, 0.01 * 0.01, 1, 1, 1, 1, 0, 1,
                new LinkedHashMap<>()))).lines().toList().get(1).split(",")[1], "below 0.001 in Java's E notation");
    }

    @Test
    void layerNameWithCommaOrQuoteIsQuoted() {
        EpochRow row = new EpochRow(1, 0.1, 1.0, 0.5, 1.0, 0.5, 0.5, 1.0, layers("a,b", 0.5, "c\"d", 0.5));
        String header = MetricsCsv.render(List.of("a,b", "c\"d"), List.of(row)).lines().findFirst().orElseThrow();
        assertTrue(header.endsWith(",\"sparsity:a,b\",\"sparsity:c\"\"d\""), header);
    }

    @Test
    void rowWithOtherLayersIsRejectedWithoutTouchingTheFile() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv csv = new MetricsCsv(file, List.of("conv1", "fc1"));
        csv.append(FIRST);
        String before = Files.readString(file);
        EpochRow wrong = new EpochRow(2, 0.1, 1.0, 0.5, 1.0, 0.5, 0.5, 1.0, layers("conv1", 0.5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> csv.append(wrong));
        assertTrue(e.getMessage().contains("epoch 2") && e.getMessage().contains("fc1"), e.getMessage());
        assertEquals(before, Files.readString(file));
        assertEquals(1, csv.rows().size());
    }

    @Test
    void repeatedLayerNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MetricsCsv(dir.resolve("m.csv"), List.of("a", "a")));
    }
}
