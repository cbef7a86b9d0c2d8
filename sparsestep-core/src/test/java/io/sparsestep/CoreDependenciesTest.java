package io.sparsestep;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The core jar's dependency tree holds no CLI, chart, progress-bar, archive or benchmark
 * library (issue 15): a framework that embeds the fused steps gets none of them. Proved at run
 * time on core's own test classpath, which is its dependency tree plus JUnit: each library's
 * main class must be absent. {@code CliDependenciesTest} loads the same names on the cli
 * module's classpath, so a misspelt name cannot make this pass by being absent everywhere.
 */
class CoreDependenciesTest {
    /** One class of each library only the cli module may depend on. */
    static final List<String> CLI_ONLY_CLASSES = List.of(
            "picocli.CommandLine",                                          // picocli
            "org.knowm.xchart.XYChart",                                     // XChart
            "me.tongfei.progressbar.ProgressBar",                           // progressbar
            "org.openjdk.jmh.annotations.Benchmark",                        // JMH
            "org.apache.commons.compress.archivers.tar.TarArchiveInputStream"); // commons-compress

    /** One class of each library core does depend on (Jackson for JSON, protobuf for ONNX). */
    static final List<String> CORE_CLASSES = List.of(
            "com.fasterxml.jackson.databind.ObjectMapper",
            "com.google.protobuf.Message",
            "ai.onnx.proto.OnnxMl");

    @Test
    void noCliOnlyLibraryIsOnCoresClasspath() {
        List<String> present = CLI_ONLY_CLASSES.stream().filter(CoreDependenciesTest::loads).toList();
        assertEquals(List.of(), present, "sparsestep-core must not depend on these; move the code that needs them to sparsestep-cli");
    }

    @Test
    void coresOwnLibrariesLoad() {
        // the check above sees the real classpath: what core does use is found the same way
        List<String> missing = CORE_CLASSES.stream().filter(name -> !loads(name)).toList();
        assertEquals(List.of(), missing);
    }

    /** Whether the class can be loaded (without initialising it) by the loader that loaded the tests. */
    static boolean loads(String name) {
        try {
            Class.forName(name, false, CoreDependenciesTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
