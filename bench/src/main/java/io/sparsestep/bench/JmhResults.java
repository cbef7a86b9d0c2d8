package io.sparsestep.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.util.Statistics;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns JMH's results into {@link Measurement}s and into JMH's own JSON format. */
public final class JmhResults {
    private JmhResults() {}

    public static List<Measurement> measurements(Collection<RunResult> results) {
        List<Measurement> out = new ArrayList<>();
        for (RunResult r : results) {
            if (r.getPrimaryResult() == null) continue;
            out.add(measurement(r));
        }
        return out;
    }

    static Measurement measurement(RunResult r) {
        BenchmarkParams bp = r.getParams();
        BenchTarget target = BenchTarget.byBenchmarkName(bp.getBenchmark());
        Map<String, String> params = new LinkedHashMap<>();
        for (String key : bp.getParamsKeys()) params.put(key, bp.getParam(key));
        Result<?> primary = r.getPrimaryResult();
        double toMs = millisPerUnit(primary.getScoreUnit());
        Statistics s = primary.getStatistics();
        double error = primary.getScoreError();
        return new Measurement(target.workload().id(), target.device().id(), params,
                s.getPercentile(50) * toMs, s.getMean() * toMs, Double.isFinite(error) ? error * toMs : null, s.getN());
    }

    /** Milliseconds in one unit of an average-time score ("ms/op", "us/op", ...). */
    static double millisPerUnit(String scoreUnit) {
        return switch (scoreUnit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IllegalArgumentException("unexpected JMH score unit '" + scoreUnit
                    + "'; the suite's benchmarks report average time per operation");
        };
    }

    /** All results in JMH's JSON result format (what {@code -rf json} writes), as bytes. */
    public static byte[] json(Collection<RunResult> results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, ps).writeOut(results);
        }
        return bytes.toByteArray();
    }
}
