package io.sparsestep.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code bench/pytorch/bench_pytorch.py} wrote: per workload (a flat size or a
 * model's list of parameter shapes) and method (copy, the per-tensor gRDA loop, fused and
 * foreach SGD-momentum), the median time of one step.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PytorchResults(@JsonProperty("device") String device,
                             @JsonProperty("torch") String torch,
                             @JsonProperty("results") List<Row> results) {
    public static final String COPY = "copy", GRDA_LOOP = "grda_loop",
            SGD_MOMENTUM_FUSED = "sgd_momentum_fused", SGD_MOMENTUM_FOREACH = "sgd_momentum_foreach";

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Row(@JsonProperty("workload") String workload,
                      @JsonProperty("params") long params,
                      @JsonProperty("tensors") int tensors,
                      @JsonProperty("method") String method,
                      @JsonProperty("median_ms") double medianMs) {}

    public PytorchResults {
        results = results == null ? List.of() : List.copyOf(results);
    }

    public static PytorchResults read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("PyTorch results '" + file + "' not found; run bench/pytorch/bench_pytorch.py --out DIR and pass DIR/pytorch.json");
        }
        try {
            return new ObjectMapper().readValue(file.toFile(), PytorchResults.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read PyTorch results '" + file + "': " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
