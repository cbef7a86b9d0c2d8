package io.sparsestep.train.io;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * {@code summary.json} of a comparison ({@code sparsestep compare}): the setting, one entry per
 * method in the order run (with the table's figures, or the reason it failed), the full
 * summary of every finished run as its own folder's summary.json has it, and the failures.
 * Written last, so its presence means the comparison finished. Sparsities count the
 * {@code prunable_weights} conv/linear weights; {@code null} stands for a figure a failed
 * method has not got.
 */
@JsonPropertyOrder({"model", "dataset", "epochs", "seed", "prunable_weights", "methods", "runs", "failures", "command_line",
        "sparsestep_version"})
public record ComparisonSummary(
        @JsonProperty("model") String model,
        @JsonProperty("dataset") String dataset,
        @JsonProperty("epochs") int epochs,
        @JsonProperty("seed") long seed,
        @JsonProperty("prunable_weights") Long prunableWeights,
        @JsonProperty("methods") List<Entry> methods,
        @JsonProperty("runs") List<RunSummary> runs,
        @JsonProperty("failures") List<Failure> failures,
        @JsonProperty("command_line") String commandLine,
        @JsonProperty("sparsestep_version") String sparsestepVersion) {

    public ComparisonSummary {
        methods = List.copyOf(methods);
        runs = List.copyOf(runs);
        failures = List.copyOf(failures);
    }

    /**
     * One method: its id, label, run folder, what happened ({@code trained}, {@code resumed},
     * {@code kept}: finished by an earlier invocation, or {@code failed}), and its figures.
     * {@code mask_source} says what its sparsity counts: {@code mask} (its mask.prune.*
     * tensors) or {@code exact_zeros}.
     */
    @JsonPropertyOrder({"method", "label", "folder", "status", "test_accuracy", "sparsity", "mask_source", "kept_weights",
            "kept_parameters", "params", "seconds", "peak_memory_bytes", "failure"})
    public record Entry(
            @JsonProperty("method") String method,
            @JsonProperty("label") String label,
            @JsonProperty("folder") String folder,
            @JsonProperty("status") String status,
            @JsonProperty("test_accuracy") Double testAccuracy,
            @JsonProperty("sparsity") Double sparsity,
            @JsonProperty("mask_source") String maskSource,
            @JsonProperty("kept_weights") Long keptWeights,
            @JsonProperty("kept_parameters") Long keptParameters,
            @JsonProperty("params") Long params,
            @JsonProperty("seconds") Double seconds,
            @JsonProperty("peak_memory_bytes") Long peakMemoryBytes,
            @JsonProperty("failure") String failure) {}

    /** A method that did not finish, and why (one line). */
    @JsonPropertyOrder({"method", "label", "reason"})
    public record Failure(@JsonProperty("method") String method, @JsonProperty("label") String label,
                          @JsonProperty("reason") String reason) {}
}
