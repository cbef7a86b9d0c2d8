package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Architecture;
import io.sparsestep.train.WeightsEvaluation;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code analyze curve} and {@code analyze hessian} end to end on two small LeNet-300-100
 * runs trained here from different seeds (so the straight line between them has a barrier):
 * the paths' ends are exactly the runs' own losses (evaluated independently through
 * {@code eval}'s code path), the trained curve lies below the line, the Hessian report's
 * fraction is the sum of its shares next to k/D, and bad input is one line, exit 2, nothing written.
 */
class AnalyzeCommandTest {
    private static final String TRAIN = "512", TEST = "256", BATCH = "64";

    @TempDir
    static Path dir;
    static Path a, b;

    @BeforeAll
    static void trainTwoRuns() {
        a = train("a", "1");
        b = train("b", "2");
    }

    private static Path train(String name, String seed) {
        Path out = dir.resolve(name);
        CliRun run = CliRun.of("train", "--model", "lenet300", "--method", "sgd", "--epochs", "3", "--seed", seed, "--train-samples", TRAIN,
                "--test-samples", TEST, "--batch-size", BATCH, "--device", "cpu", "--no-progress", "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        return out;
    }

    @Test
    void pathEndsAreTheRunsOwnLossesAndTheTrainedCurveLiesBelowTheLine() throws IOException {
        Path out = dir.resolve("curve");
        CliRun run = CliRun.of("analyze", "curve", "--a", a.toString(), "--b", b.toString(), "--points", "5", "--epochs", "4",
                "--batch-size", BATCH, "--device", "cpu", "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("data: the data options recorded in " + a.resolve("checkpoint.safetensors")), run.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("curve.json").toFile());
        JsonNode line = json.get("line").get("points"), curve = json.get("bezier").get("points");
        assertEquals(5, line.size());
        assertEquals(0.5, line.get(2).get("t").asDouble(), 0);
        // a's and b's own losses, by eval's code path on the splits they trained on (seed 1 is a's data; b's seed made other data, so b
        // is evaluated on a's, as the analysis does)
        TrainTest data = Datasets.load("synth-digits", null, 1, Integer.parseInt(TRAIN), Integer.parseInt(TEST));
        TrainTest trainAsTest = new TrainTest(data.train(), data.train());
        try (CpuBackend be = new CpuBackend(2)) {
            for (int end : new int[]{0, 4}) {
                Path weights = (end == 0 ? a : b).resolve("weights.safetensors");
                double test = WeightsEvaluation.run(weights, Architecture.defaults("lenet300"), data, 64, be).test().loss();
                double train = WeightsEvaluation.run(weights, Architecture.defaults("lenet300"), trainAsTest, 64, be).test().loss();
                for (JsonNode path : List.of(line, curve)) {
                    assertEquals(test, path.get(end).get("testLoss").asDouble(), 0, "test loss at t = " + end / 4);
                    assertEquals(train, path.get(end).get("trainLoss").asDouble(), 0, "train loss at t = " + end / 4);
                }
            }
        }
        // runs from two seeds: the straight line rises between them; the trained curve stays lower
        double lineMid = line.get(2).get("trainLoss").asDouble(), curveMid = curve.get(2).get("trainLoss").asDouble();
        assertTrue(lineMid > Math.max(line.get(0).get("trainLoss").asDouble(), line.get(4).get("trainLoss").asDouble()),
                "a barrier on the line: " + line);
        assertTrue(curveMid < lineMid, "midpoints: curve " + curveMid + ", line " + lineMid);
        assertTrue(mean(curve, "trainLoss") < mean(line, "trainLoss"));
        assertEquals(4, json.get("trainingEpochs").size());
        assertFalse(json.get("batchNormRecomputed").asBoolean(), "LeNet-300-100 has no batch norm");
        BufferedImage png = ImageIO.read(out.resolve("curve.png").toFile());
        assertEquals(960, png.getWidth());
        assertEquals(960, png.getHeight(), "the loss panel above the error panel");
        assertTrue(run.out().contains("straight line: largest train loss"), run.out());
    }

    @Test
    void hessianReportsTheFractionOfTheDirectionNextToKOverD() throws IOException {
        Path out = dir.resolve("hessian");
        CliRun run = CliRun.of("analyze", "hessian", "--at", b.toString(), "--direction", b.toString(), a.toString(), "--k", "3",
                "--samples", "256", "--max-steps", "40", "--device", "cpu", "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        JsonNode json = new ObjectMapper().readTree(out.resolve("hessian.json").toFile());
        assertEquals(266_610, json.get("dimension").asLong(), "all parameters, biases included");
        assertEquals(3.0 / 266_610, json.get("randomBaseline").asDouble(), 0);
        double sum = 0, previous = Double.POSITIVE_INFINITY;
        for (JsonNode e : json.get("eigenpairs")) {
            sum += e.get("directionShare").asDouble();
            assertTrue(e.get("value").asDouble() <= previous, "decreasing");
            previous = e.get("value").asDouble();
            assertTrue(e.get("residual").asDouble() <= 1e-3 * json.get("eigenpairs").get(0).get("value").asDouble());
        }
        assertEquals(3, json.get("eigenpairs").size());
        assertTrue(previous > 0, "a trained network's top curvatures are positive");
        assertEquals(sum, json.get("fraction").asDouble(), 1e-15);
        assertEquals(Math.sqrt(sum), json.get("sqrtFraction").asDouble(), 1e-15);
        assertTrue(sum > 0 && sum < 1);
        assertTrue(json.get("converged").asBoolean());
        assertEquals(256, json.get("samples").asLong());
        assertEquals(32, json.get("batchSize").asInt(), "the authors' batch");
        assertTrue(run.out().contains("k/D = 3/266,610"), run.out());
    }

    @Test
    void aDirectionWithADashSplitsWhereBothSidesExist() throws IOException {
        Path x = Files.createDirectories(dir.resolve("split/run-x")), y = Files.createDirectories(dir.resolve("split/y"));
        assertEquals(List.of(x, y), AnalyzeHessianCommand.directionRuns(List.of(x + "-" + y)));
        assertEquals(List.of(y, x), AnalyzeHessianCommand.directionRuns(List.of(y.toString(), x.toString())));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> AnalyzeHessianCommand.directionRuns(List.of(x + "-" + dir.resolve("absent"))));
        assertTrue(none.getMessage().contains("pass the two runs as two values"), none.getMessage());
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path out = dir.resolve("refused");
        Path other = dir.resolve("lenet5");
        CliRun lenet5 = CliRun.of("train", "--model", "lenet5", "--method", "sgd", "--epochs", "1", "--train-samples", "64", "--test-samples",
                "32", "--batch-size", "32", "--device", "cpu", "--no-progress", "--out", other.toString());
        assertEquals(0, lenet5.code(), lenet5.err());
        String missing = curve(a, dir.resolve("absent"), out).badInputLine();
        assertTrue(missing.contains("--b " + dir.resolve("absent") + ": no such file or folder"), missing);
        String model = curve(a, other, out).badInputLine();
        assertTrue(model.contains("holds lenet5 but --a") && model.contains("both runs must be of one model"), model);
        String nan = curve(a, nanCopy(a), out).badInputLine();
        assertTrue(nan.contains("tensor 'fc1.weight' holds NaN at entry 3; the run diverged"), nan);
        String points = CliRun.of("analyze", "curve", "--a", a.toString(), "--b", b.toString(), "--points", "1", "--out", out.toString())
                .badInputLine();
        assertTrue(points.contains("--points must be >= 2"), points);
        String zero = CliRun.of("analyze", "hessian", "--at", a.toString(), "--direction", a.toString(), a.toString(), "--samples", "64",
                "--device", "cpu", "--out", out.toString()).badInputLine();
        assertTrue(zero.contains("the direction is 0"), zero);
        String selection = CliRun.of("analyze", "hessian", "--at", a.toString(), "--direction", a.toString(), b.toString(),
                "--parameters", "biases", "--out", out.toString()).badInputLine();
        assertTrue(selection.contains("--parameters biases: choose all or weights"), selection);
        String hessianModel = CliRun.of("analyze", "hessian", "--at", other.toString(), "--direction", a.toString(), b.toString(),
                "--out", out.toString()).badInputLine();
        assertTrue(hessianModel.contains("both runs must be of one model"), hessianModel);
        assertFalse(Files.exists(out.resolve("curve.json")) || Files.exists(out.resolve("hessian.json")) || Files.exists(out.resolve("curve.png")),
                "no output for refused input");
    }

    private static CliRun curve(Path first, Path second, Path out) {
        return CliRun.of("analyze", "curve", "--a", first.toString(), "--b", second.toString(), "--points", "3", "--epochs", "1",
                "--device", "cpu", "--out", out.toString());
    }

    /** A copy of {@code run}'s weights with fc1.weight[3] = NaN, beside a copy of its checkpoint (for the data options). */
    private static Path nanCopy(Path run) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("nan"));
        Files.copy(run.resolve("checkpoint.safetensors"), copy.resolve("checkpoint.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> t = Safetensors.read(run.resolve("weights.safetensors"), arena);
            t.get("fc1.weight").data().setAtIndex(ValueLayout.JAVA_FLOAT, 3, Float.NaN);
            Safetensors.write(copy.resolve("weights.safetensors"), t, Safetensors.readMetadata(run.resolve("weights.safetensors")));
        }
        return copy;
    }

    private static double mean(JsonNode points, String field) {
        double s = 0;
        for (JsonNode p : points) s += p.get(field).asDouble();
        return s / points.size();
    }
}
