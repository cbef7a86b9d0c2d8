package io.sparsestep.bench;

import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JMH invocation of the suite: a benchmark, the values of each of its parameters (JMH
 * runs their cross product), and how long to warm up and measure. A plan needs several
 * runs because the cross product cannot express "VGG-16 at a smaller batch than LeNet".
 */
public record BenchRun(BenchTarget target, Map<String, List<String>> params, int forks,
                       int warmupIterations, Duration warmupTime,
                       int measurementIterations, Duration measurementTime) {
    public BenchRun {
        params = copy(params);
        if (forks < 0 || warmupIterations < 0 || measurementIterations < 1) {
            throw new IllegalArgumentException("bench run of " + target + " needs forks >= 0, warmups >= 0 and at least one measurement");
        }
    }

    private static Map<String, List<String>> copy(Map<String, List<String>> in) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Every parameter combination, in the order JMH runs them (first key varies slowest). */
    public List<Map<String, String>> combinations() {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : e.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(e.getKey(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** JMH options for this run; every fork gets the JVM flags the library needs. */
    public Options options() {
        OptionsBuilder b = new OptionsBuilder();
        b.include(target.includePattern())
                .forks(forks)
                .warmupIterations(warmupIterations)
                .warmupTime(TimeValue.milliseconds(warmupTime.toMillis()))
                .measurementIterations(measurementIterations)
                .measurementTime(TimeValue.milliseconds(measurementTime.toMillis()))
                .jvmArgsAppend(BenchJvm.flags().toArray(String[]::new))
                .shouldFailOnError(false);
        params.forEach((k, v) -> b.param(k, v.toArray(String[]::new)));
        return b.build();
    }
}
