package io.sparsestep.train.imp;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.masks.RunMask;

/**
 * One finished round, as imp.csv and imp.json list it: its test accuracy and loss after its
 * last epoch, its mask's sparsity over the conv/linear weights ({@code prunableWeights} is the
 * denominator; biases and batch norm are never pruned), the parameters it keeps (all but the
 * pruned weights), what it started from, and whether this command trained, resumed or kept it.
 */
@JsonPropertyOrder({"round", "folder", "status", "start", "test_accuracy", "test_loss", "sparsity", "kept_weights", "prunable_weights",
        "kept_params", "params", "seconds"})
public record ImpRound(@JsonProperty("round") int round, @JsonProperty("folder") String folder, @JsonProperty("status") String status,
                       @JsonProperty("start") String start, @JsonProperty("test_accuracy") double testAccuracy,
                       @JsonProperty("test_loss") double testLoss, @JsonProperty("sparsity") double sparsity,
                       @JsonProperty("kept_weights") long keptWeights, @JsonProperty("prunable_weights") long prunableWeights,
                       @JsonProperty("kept_params") long keptParams, @JsonProperty("params") long params,
                       @JsonProperty("seconds") double seconds) {
    /** How this command came by the round. */
    public enum Status { TRAINED, RESUMED, KEPT;

        public String word() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    static ImpRound of(int round, Status status, String start, RunSummary summary, RunMask mask) {
        long pruned = mask.size() - mask.kept();
        return new ImpRound(round, ImpConfig.roundName(round), status.word(), start, summary.testAccuracy(), summary.testLoss(),
                mask.sparsity(), mask.kept(), mask.size(), summary.params() - pruned, summary.params(), summary.seconds());
    }
}
