package io.sparsestep.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one exception the safetensors reader throws for a file whose content is wrong
 * (truncated, malformed header, offsets that do not fit, a metadata value of the wrong
 * kind). Its message is one line: the file, then what is wrong with it. A file that cannot
 * be opened or read at all gives the usual IOException of the file system instead.
 */
public final class SafetensorsFormatException extends IOException {
    private final transient Path file;

    SafetensorsFormatException(Path file, String problem) {
        super(file + ": corrupt safetensors file: " + OneLine.of(problem));
        this.file = file;
    }

    /** The file that is wrong. */
    public Path file() {
        return file;
    }
}
