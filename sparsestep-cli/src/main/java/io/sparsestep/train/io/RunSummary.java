package io.sparsestep.train.io;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of one finished run, one entry of {@code summary.json}'s {@code runs} array.
 * Fractions ({@code test_accuracy}, {@code sparsity}, {@code layer_sparsity}) are in 0..1;
 * {@code params} counts all parameters of the model, {@code seconds} is wall time of training
 * and evaluation; {@code train_loss} and {@code test_loss} are the last epoch's mean losses,
 * {@code train_samples} and {@code test_samples} the images the run used. {@code started_at}
 * is when training started, ISO-8601 in UTC ({@code 2026-11-21T09:30:00Z});
 * {@code command_line} the command as typed, shell-quoted ({@link CommandLineText});
 * {@code sparsestep_version} the version that ran.
 *
 * <p>The JSON names are snake_case and fixed, and so is their order (below; the README lists
 * it): scripts that compare runs read them. New keys are added at the end.
 */
@JsonPropertyOrder({"optimizer", "model", "dataset", "test_accuracy", "sparsity", "params",
        "seconds", "device", "epochs", "hyperparameters", "peak_memory_bytes",
        "optimizer_state_bytes", "train_loss", "test_loss", "train_samples", "test_samples",
        "layer_sparsity", "started_at", "command_line", "sparsestep_version"})
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
        @JsonProperty("hyperparameters") Map<String, Object> hyperparameters,
        @JsonProperty("train_loss") double trainLoss,
        @JsonProperty("test_loss") double testLoss,
        @JsonProperty("train_samples") int trainSamples,
        @JsonProperty("test_samples") int testSamples,
        @JsonProperty("layer_sparsity") Map<String, Double> layerSparsity,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("command_line") String commandLine,
        @JsonProperty("sparsestep_version") String sparsestepVersion) {

    public RunSummary {
        requireText("optimizer", optimizer);
        requireText("model", model);
        requireText("dataset", dataset);
        requireText("device", device);
        requireText("command_line", commandLine);
        requireText("sparsestep_version", sparsestepVersion);
        requireFraction("test_accuracy", testAccuracy);
        requireFraction("sparsity", sparsity);
        if (epochs < 0 || params < 0 || peakMemoryBytes < 0 || optimizerStateBytes < 0) {
            throw new IllegalArgumentException("run summary counts must be >= 0, got epochs="
                    + epochs + " params=" + params + " peak_memory_bytes=" + peakMemoryBytes
                    + " optimizer_state_bytes=" + optimizerStateBytes);
        }
        if (trainSamples < 1 || testSamples < 1) {
            throw new IllegalArgumentException("run summary sample counts must be >= 1, got train_samples="
                    + trainSamples + " test_samples=" + testSamples);
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("seconds must be a finite time >= 0, got " + seconds);
        }
        // a loss is never negative; NaN stays possible (a test loss from overflowing logits) and is written as such
        if (trainLoss < 0 || testLoss < 0) {
            throw new IllegalArgumentException("run summary losses must be >= 0, got train_loss=" + trainLoss
                    + " test_loss=" + testLoss);
        }
        requireUtcInstant(startedAt);
        hyperparameters = hyperparameters == null
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        LinkedHashMap<String, Double> layers = new LinkedHashMap<>(layerSparsity == null ? Map.of() : layerSparsity);
        layers.forEach((layer, value) -> requireFraction("layer_sparsity." + layer, value == null ? Double.NaN : value));
        layerSparsity = Collections.unmodifiableMap(layers);
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

    /** ISO-8601 with the zone written as Z, as {@link Instant#toString} gives it. */
    private static void requireUtcInstant(String value) {
        try {
            if (value != null && value.endsWith("Z")) {
                Instant.parse(value);
                return;
            }
        } catch (DateTimeParseException e) {
            // reported below, in the same words as a missing value
        }
        throw new IllegalArgumentException("run summary field started_at must be an ISO-8601 UTC time such as "
                + "2026-11-21T09:30:00Z, got " + value);
    }
}
