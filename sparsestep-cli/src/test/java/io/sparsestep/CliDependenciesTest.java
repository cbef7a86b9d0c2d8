package io.sparsestep;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The other half of {@link CoreDependenciesTest}: every class that core's classpath must lack
 * loads here, where the cli module depends on those libraries, so the names core checks are
 * real ones (a misspelt name would be absent everywhere and prove nothing).
 */
class CliDependenciesTest {
    @Test
    void everyCliOnlyLibraryIsOnTheCliClasspath() {
        List<String> missing = CoreDependenciesTest.CLI_ONLY_CLASSES.stream().filter(name -> !CoreDependenciesTest.loads(name)).toList();
        assertEquals(List.of(), missing);
    }
}
