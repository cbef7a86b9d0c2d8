package io.sparsestep.train.io;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of one finished run, one entry of {@code summary.json}'s {@code runs} array.
 * Fractions ({@code test_accuracy}, {@code sparsity}) are in 0..1; {@code params} counts
 * all parameters of the model, {@code seconds} is wall time of training and evaluation.
 * The JSON names are snake_case and fixed: scripts that compare runs read them.
 */
@JsonPropertyOrder({"optimizer", "model", "dataset", "test_accuracy", "sparsity", "params",
        "seconds", "device", "epochs", "hyperparameters", "peak_memory_bytes",
        "optimizer_state_bytes"})
public record RunSummary(
        @JsonProperty("optimizer") String optimizer,
        @JsonProperty("model") String model,
        @JsonProperty("dataset") String dataset,
        @JsonProperty("device") String device,
        @JsonProperty("epochs") int epochs,
        @JsonProperty("test_accuracy") double testAccuracy,
        @JsonProperty("sparsity") double sparsity,
        @JsonProperty("params") long params,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("peak_memory_bytes") long peakMemoryBytes,
        @JsonProperty("optimizer_state_bytes") long optimizerStateBytes,
        @JsonProperty("hyperparameters") Map<String, Object> hyperparameters) {

    public RunSummary {
        requireText("optimizer", optimizer);
        requireText("model", model);
        requireText("dataset", dataset);
        requireText("device", device);
        requireFraction("test_accuracy", testAccuracy);
        requireFraction("sparsity", sparsity);
        if (epochs < 0 || params < 0 || peakMemoryBytes < 0 || optimizerStateBytes < 0) {
            throw new IllegalArgumentException("run summary counts must be >= 0, got epochs="
                    + epochs + " params=" + params + " peak_memory_bytes=" + peakMemoryBytes
                    + " optimizer_state_bytes=" + optimizerStateBytes);
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("seconds must be a finite time >= 0, got " + seconds);
        }
        hyperparameters = hyperparameters == null
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
    }

    private static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("run summary field " + field
                    + " is missing or blank; name the " + field + " the run used");
        }
    }

    /** Also rejects NaN, which Jackson would write as the string "NaN" where readers expect a number. */
    private static void requireFraction(String field, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("run summary field " + field
                    + " must be a fraction in 0..1, got " + value);
        }
    }
}
