package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SparsestepVersionTest {
    /** The project's version: the root pom's own, after <artifactId>sparsestep-parent</artifactId>, which every module inherits. */
    @Test
    void isThePomsVersion() throws Exception {
        Matcher m = Pattern.compile("<artifactId>sparsestep-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        m.find();
        assertEquals(m.group(1), SparsestepVersion.get());
    }
}
