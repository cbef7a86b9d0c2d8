package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code summary.json}: {@code {"runs":[{...}, ...]}}, one {@link RunSummary} per run, so
 * one file can hold a single run or a whole comparison (gRDA vs. SGD vs. ...).
 */
public final class SummaryJson {
    public static final String FILE_NAME = "summary.json";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private SummaryJson() {}

    /** The top-level object; a wrapper rather than a bare array so fields can be added later. */
    private record Runs(@JsonProperty("runs") List<RunSummary> runs) {}

    /** Atomically writes {@code file} with all {@code runs}, in order. */
    public static void write(Path file, List<RunSummary> runs) throws IOException {
        writeJson(file, new Runs(List.copyOf(runs)));
    }

    /** Atomically writes the summary.json of a comparison. */
    public static void write(Path file, ComparisonSummary comparison) throws IOException {
        writeJson(file, comparison);
    }

    /** Atomically writes any record tree as indented JSON (the analysis reports use it too). */
    public static void writeJson(Path file, Object value) throws IOException {
        byte[] json = MAPPER.writeValueAsBytes(value);
        AtomicFiles.write(file, out -> {
            out.write(json);
            out.write('\n');
        });
    }

    /**
     * Reads the runs of {@code file}. A malformed file, a missing field or a value out of
     * range gives an IOException naming the file and the problem on one line.
     */
    public static List<RunSummary> read(Path file) throws IOException {
        Runs parsed;
        try {
            parsed = MAPPER.readValue(Files.readAllBytes(file), Runs.class);
        } catch (JacksonException e) {
            throw new IOException(file + ": not a valid summary.json: " + oneLine(e), e);
        }
        if (parsed == null || parsed.runs() == null) {
            throw new IOException(file + ": not a valid summary.json: no \"runs\" array");
        }
        return List.copyOf(parsed.runs());
    }

    /** Jackson's own message spans lines (source excerpt, reference chain). */
    private static String oneLine(JacksonException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root instanceof JacksonException j ? j.getOriginalMessage() : root.getMessage();
        String location = e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        return String.valueOf(message).replaceAll("\\s*\\R\\s*", " ") + location;
    }
}
