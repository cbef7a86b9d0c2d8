package io.sparsestep.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code __metadata__} of a safetensors file, which the format holds as strings only,
 * with typed accessors for the scalars a checkpoint stores there (step, learning rate).
 * A missing key or a value that is not the number asked for is a
 * {@link SafetensorsFormatException} that names the file and the key; a non-finite number
 * (NaN, Infinity, or one that overflows to it) never reaches the caller.
 */
public record SafetensorsMetadata(Path file, Map<String, String> values) {
    /**
     * Decimal numbers as JSON writes them and {@link Double#toString} prints them. Stricter
     * than {@link Double#parseDouble}, which also takes hex floats, a trailing 'd' or 'f'
     * and surrounding blanks.
     */
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[-+]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    public SafetensorsMetadata {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The metadata of {@code file}; only its header is read. */
    public static SafetensorsMetadata read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new SafetensorsMetadata(file, SafetensorsHeader.read(file, channel).metadata());
        }
    }

    /** The string stored under {@code key}. */
    public String text(String key) throws SafetensorsFormatException {
        String value = values.get(key);
        if (value == null) {
            throw problem(key, "is missing");
        }
        return value;
    }

    /** The finite decimal number stored under {@code key} ("0.1", "-3", "1.0E-4"). */
    public double finiteDouble(String key) throws SafetensorsFormatException {
        String value = text(key);
        if (NON_FINITE.matcher(value).matches()) {
            throw problem(key, "is " + OneLine.quoted(value) + ", not a finite number");
        }
        if (!DECIMAL.matcher(value).matches()) {
            throw problem(key, "is " + OneLine.quoted(value) + ", not a decimal number");
        }
        double parsed = Double.parseDouble(value);
        if (!Double.isFinite(parsed)) {
            throw problem(key, "is " + OneLine.quoted(value) + ", which overflows to " + parsed + ", not a finite number");
        }
        return parsed;
    }

    /** The 64-bit integer stored under {@code key} ("1200", "-1"). */
    public long longValue(String key) throws SafetensorsFormatException {
        String value = text(key);
        try {
            // parseLong takes a leading '+'; the format never writes one
            if (value.startsWith("+")) {
                throw new NumberFormatException();
            }
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw problem(key, "is " + OneLine.quoted(value) + ", not a 64-bit integer");
        }
    }

    private SafetensorsFormatException problem(String key, String what) {
        return SafetensorsHeader.corrupt(file, SafetensorsHeader.METADATA_KEY + " entry " + OneLine.quoted(key) + " " + what);
    }
}
