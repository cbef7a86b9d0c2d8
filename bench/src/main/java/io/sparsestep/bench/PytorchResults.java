package io.sparsestep.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code bench/pytorch/bench_pytorch.py} wrote: the backend it ran on ({@code cuda}, or
 * {@code cpu} with its intra-op and inter-op thread counts) and, per workload (a flat size, a
 * model's list of parameter shapes, or one of sparsestep's models at a batch) and method
 * (copy, the per-tensor gRDA loop, fused and foreach SGD-momentum, on the flat sizes
 * torch.topk of GSM's k largest |g*w|, and full training steps), the median time of one step.
 * A file without a {@code backend} key is a GPU file (the script wrote none before it ran on the CPU).
 */
public record PytorchResults(String device, String torch, String backend, Integer intraOpThreads, Integer interOpThreads,
                             List<Row> results) {
    private static final String FIX = "pass the pytorch.json that bench/pytorch/bench_pytorch.py --out DIR writes";
    public static final String COPY = "copy", GRDA_LOOP = "grda_loop",
            SGD_MOMENTUM_FUSED = "sgd_momentum_fused", SGD_MOMENTUM_FOREACH = "sgd_momentum_foreach", TOPK = "topk",
            TRAIN_SGD_MOMENTUM = "train_sgd_momentum";
    public static final String CPU = "cpu", CUDA = "cuda";
    /** Methods whose rows are full training steps of a model at a batch (they carry "model" and "batch"). */
    static final String TRAIN_PREFIX = "train_";

    /**
     * The sparsestep step kind each PyTorch method is the peer of: the same work on the same
     * parameter count (the flat rows) or the same model and batch (the training steps).
     */
    private static final Map<String, StepKind> PEERS = Map.of(COPY, StepKind.COPY, GRDA_LOOP, StepKind.GRDA,
            SGD_MOMENTUM_FUSED, StepKind.SGD_MOMENTUM, SGD_MOMENTUM_FOREACH, StepKind.SGD_MOMENTUM, TOPK, StepKind.SELECT,
            TRAIN_SGD_MOMENTUM, StepKind.SGD_MOMENTUM);

    /**
     * One timed method on one workload; {@code model} and {@code batch} are set on training
     * steps only (null otherwise).
     */
    public record Row(String workload, long params, int tensors, String method, double medianMs, String model, Integer batch) {
        public Row(String workload, long params, int tensors, String method, double medianMs) {
            this(workload, params, tensors, method, medianMs, null, null);
        }

        public boolean isTrainStep() { return method.startsWith(TRAIN_PREFIX); }

        /** The sparsestep kind (optimizer-step kind, or the training step's optimizer) this row is the peer of. */
        public Optional<StepKind> peerKind() { return Optional.ofNullable(PEERS.get(method)); }
    }

    /** A GPU file's results (backend cuda, no thread counts). */
    public PytorchResults(String device, String torch, List<Row> results) {
        this(device, torch, CUDA, null, null, results);
    }

    public PytorchResults {
        results = results == null ? List.of() : List.copyOf(results);
        backend = backend == null ? CUDA : backend;
    }

    public boolean isCpu() { return CPU.equals(backend); }

    /**
     * The results in {@code file}, checked against the shape bench_pytorch.py writes (keys
     * tool, device, results[] and errors[]; each result with workload, params, tensors,
     * method and median_ms) so that a wrong or hand-edited file fails here, before minutes of
     * benchmarking, with one line naming the file and what is missing.
     *
     * @throws IllegalArgumentException when the file is missing, not JSON or not in that shape
     */
    public static PytorchResults read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("PyTorch results '" + file + "' not found; " + FIX);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getOriginalMessage().lines().findFirst().orElse("")
                    + " at line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + "); " + FIX, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read PyTorch results '" + file + "': "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        return fromJson(file, root);
    }

    /** The checked contents of {@code root}, read from {@code file} (named in every error). */
    static PytorchResults fromJson(Path file, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw bad(file, "top level is " + kind(root) + ", expected an object with tool, device, results[], errors[]");
        }
        List<String> missing = new ArrayList<>();
        requireText(root, "tool", missing);
        requireText(root, "device", missing);
        requireArray(root, "results", missing);
        requireArray(root, "errors", missing);
        JsonNode backend = root.get("backend");
        if (backend != null && !(backend.isTextual() && List.of(CPU, CUDA).contains(backend.asText()))) {
            missing.add("\"backend\" (\"cpu\" or \"cuda\")");
        }
        if (!missing.isEmpty()) {
            throw bad(file, "not a bench_pytorch.py result: missing or mistyped " + String.join(", ", missing));
        }
        JsonNode results = root.get("results");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            JsonNode r = results.get(i);
            if (!r.isObject()) {
                throw bad(file, "results[" + i + "] is " + kind(r) + ", expected an object");
            }
            List<String> rowMissing = new ArrayList<>();
            requireText(r, "workload", rowMissing);
            requireText(r, "method", rowMissing);
            requirePositive(r, "params", true, rowMissing);
            requirePositive(r, "tensors", true, rowMissing);
            requirePositive(r, "median_ms", false, rowMissing);
            boolean train = r.path("method").asText("").startsWith(TRAIN_PREFIX);
            if (train) {
                requireText(r, "model", rowMissing);
                requirePositive(r, "batch", true, rowMissing);
            }
            if (!rowMissing.isEmpty()) {
                throw bad(file, "results[" + i + "] lacks " + String.join(", ", rowMissing));
            }
            rows.add(new Row(r.get("workload").asText(), r.get("params").asLong(), r.get("tensors").asInt(),
                    r.get("method").asText(), r.get("median_ms").asDouble(),
                    train ? r.get("model").asText() : null, train ? r.get("batch").asInt() : null));
        }
        if (rows.isEmpty()) {
            JsonNode errors = root.get("errors");
            String first = errors.isEmpty() ? "" : "; first error: " + errors.get(0).path("error").asText("?");
            throw bad(file, "holds no results to compare (" + errors.size() + " errors recorded" + first + ")");
        }
        JsonNode torch = root.get("torch");
        JsonNode threads = root.path("threads");
        return new PytorchResults(root.get("device").asText(), torch != null && torch.isTextual() ? torch.asText() : null,
                backend == null ? CUDA : backend.asText(), positiveIntOrNull(threads.get("intra_op")),
                positiveIntOrNull(threads.get("inter_op")), rows);
    }

    private static IllegalArgumentException bad(Path file, String problem) {
        return new IllegalArgumentException(file + ": " + problem + "; " + FIX);
    }

    private static void requireText(JsonNode node, String key, List<String> missing) {
        JsonNode v = node.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) missing.add("\"" + key + "\" (text)");
    }

    private static void requireArray(JsonNode node, String key, List<String> missing) {
        JsonNode v = node.get(key);
        if (v == null || !v.isArray()) missing.add("\"" + key + "\" (array)");
    }

    private static void requirePositive(JsonNode node, String key, boolean integer, List<String> missing) {
        JsonNode v = node.get(key);
        boolean ok = v != null && (integer ? v.canConvertToLong() && v.isIntegralNumber() : v.isNumber())
                && Double.isFinite(v.asDouble()) && v.asDouble() > 0;
        if (!ok) missing.add("\"" + key + "\" (" + (integer ? "positive integer" : "positive number") + ")");
    }

    private static Integer positiveIntOrNull(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.asInt() > 0 ? n.asInt() : null;
    }

    private static String kind(JsonNode n) {
        return n == null || n.isMissingNode() ? "empty" : n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
