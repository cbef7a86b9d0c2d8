package io.sparsestep.train.tune;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * {@code tune.json}: the setting, the reference run, every c tried in order and the c chosen
 * ({@code null} when none kept the accuracy). Accuracies are on the validation split carved
 * from the training data ({@code validation_images} of them), never the test split;
 * {@code sparsity} counts all parameters (the gRDA authors' count), {@code weight_sparsity}
 * the conv/linear weights.
 */
@JsonPropertyOrder({"model", "dataset", "method", "method_options", "epochs", "seed", "validation_fraction", "validation_images",
        "train_images", "search", "reference", "trials", "chosen_c", "hit_limit", "command_line", "sparsestep_version"})
public record TuneSummary(
        @JsonProperty("model") String model,
        @JsonProperty("dataset") String dataset,
        @JsonProperty("method") String method,
        @JsonProperty("method_options") Map<String, String> methodOptions,
        @JsonProperty("epochs") int epochs,
        @JsonProperty("seed") long seed,
        @JsonProperty("validation_fraction") double validationFraction,
        @JsonProperty("validation_images") int validationImages,
        @JsonProperty("train_images") int trainImages,
        @JsonProperty("search") Search search,
        @JsonProperty("reference") Reference reference,
        @JsonProperty("trials") List<TrialEntry> trials,
        @JsonProperty("chosen_c") Double chosenC,
        @JsonProperty("hit_limit") boolean hitLimit,
        @JsonProperty("command_line") String commandLine,
        @JsonProperty("sparsestep_version") String sparsestepVersion) {

    @JsonPropertyOrder({"c_start", "factor", "max_trials", "refine", "tolerance_points"})
    public record Search(@JsonProperty("c_start") double cStart, @JsonProperty("factor") double factor,
                         @JsonProperty("max_trials") int maxTrials, @JsonProperty("refine") int refine,
                         @JsonProperty("tolerance_points") double tolerancePoints) {
        static Search of(CSearch s) { return new Search(s.start(), s.factor(), s.maxTrials(), s.refine(), s.tolerancePoints()); }
    }

    /** The run every c is held against: SGD without momentum at the method's learning rate. */
    @JsonPropertyOrder({"method", "options", "folder", "validation_accuracy"})
    public record Reference(@JsonProperty("method") String method, @JsonProperty("options") Map<String, String> options,
                            @JsonProperty("folder") String folder, @JsonProperty("validation_accuracy") double validationAccuracy) {}

    @JsonPropertyOrder({"c", "folder", "validation_accuracy", "sparsity", "weight_sparsity", "passed", "failure"})
    public record TrialEntry(@JsonProperty("c") double c, @JsonProperty("folder") String folder,
                             @JsonProperty("validation_accuracy") Double validationAccuracy, @JsonProperty("sparsity") Double sparsity,
                             @JsonProperty("weight_sparsity") Double weightSparsity, @JsonProperty("passed") boolean passed,
                             @JsonProperty("failure") String failure) {}
}
