package io.sparsestep.train.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of sparsestep that is running, as {@code pom.xml} says ({@code 0.1.0-SNAPSHOT}),
 * for the records a run leaves. Maven writes it into {@code io/sparsestep/version.properties}
 * (resource filtering), so it is the same in the jar and in the test classpath.
 */
public final class SparsestepVersion {
    private static final String RESOURCE = "/io/sparsestep/version.properties";
    private static final String VERSION = load();

    private SparsestepVersion() {}

    /** E.g. {@code 0.1.0-SNAPSHOT}. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = SparsestepVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath; rebuild sparsestep with Maven");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").strip();
            // an unfiltered copy (built without Maven) still holds the placeholder
            if (v.isEmpty() || v.contains("${")) {
                throw new IllegalStateException(RESOURCE + " holds no version ('" + v + "'); rebuild sparsestep with Maven");
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
