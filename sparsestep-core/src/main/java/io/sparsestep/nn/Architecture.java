package io.sparsestep.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model of the zoo with explicit widths: the number of output channels (conv) or features
 * (linear) of every conv/linear layer but the classifier, whose width is the number of
 * classes. Layers are named as in weights.safetensors ({@code conv1},
 * {@code layer1.0.branch.conv1}). The structure (which blocks have projection shortcuts,
 * kernels, strides) is the model id's; only widths change, and the widths of tensors a
 * residual sum ties (a stage's block outputs, through identity shortcuts) must be equal.
 * Every width is listed: a misspelt name is an error, never a silently kept default.
 *
 * <p>As a file (architecture.json, what {@code sparsestep shrink} writes):
 * <pre>{"format": "sparsestep-architecture", "version": 1, "model": "vgg16", "widths": {"conv1": 32, ...}}</pre>
 */
public record Architecture(String model, Map<String, Integer> widths) {
    public static final String FORMAT = "sparsestep-architecture";
    public static final int VERSION = 1;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> KEYS = Set.of("format", "version", "model", "widths");

    /** Checks the widths against the model's layers and its residual ties; the message names the layer. */
    public Architecture {
        Models.requireKnown(model);
        Map<String, Integer> known = defaultWidths(model);
        for (String layer : widths.keySet()) {
            if (!known.containsKey(layer)) {
                throw new IllegalArgumentException(model + " has no conv/linear layer '" + layer + "' with a width to set (its layers: "
                        + preview(known.keySet()) + "; the classifier's width is the class count)");
            }
        }
        LinkedHashMap<String, Integer> ordered = new LinkedHashMap<>();
        for (String layer : known.keySet()) {
            Integer w = widths.get(layer);
            if (w == null) {
                throw new IllegalArgumentException("no width for '" + layer + "': an architecture lists every conv/linear layer of "
                        + model + " but the classifier (start from a preset or from what `sparsestep shrink` wrote)");
            }
            if (w < 1) throw new IllegalArgumentException("width of '" + layer + "' is " + w + "; widths are whole numbers >= 1");
            ordered.put(layer, w);
        }
        widths = Collections.unmodifiableMap(ordered);
        // the residual ties: the graph refuses a sum of unequal widths, naming both layers
        int[] input = nominalInput(model);
        ModelGraph.of(Models.resize(Models.create(model, input, 10), widths), input);
    }

    /** The model's own widths. */
    public static Architecture defaults(String model) {
        return new Architecture(model, defaultWidths(model));
    }

    /** Whether these are the model's own widths. */
    public boolean isDefault() { return widths.equals(defaultWidths(model)); }

    public int width(String layer) {
        Integer w = widths.get(layer);
        if (w == null) throw new IllegalArgumentException(model + " has no layer '" + layer + "' with a width");
        return w;
    }

    /** The same model with some widths changed. */
    public Architecture with(Map<String, Integer> changes) {
        LinkedHashMap<String, Integer> w = new LinkedHashMap<>(widths);
        w.putAll(changes);
        return new Architecture(model, w);
    }

    /**
     * What {@code --widths} names: a preset ({@link #presets()}), or an architecture file when
     * the value ends in {@code .json} or holds a path separator (so {@code ./arch} is a file).
     */
    public static Architecture resolve(String value) {
        if (value.endsWith(".json") || value.contains("/") || value.contains(java.io.File.separator)) return read(Path.of(value));
        return preset(value);
    }

    /** Whether {@link #resolve} reads {@code value} as a preset name rather than a file. */
    public static boolean isPresetName(String value) {
        return !(value.endsWith(".json") || value.contains("/") || value.contains(java.io.File.separator));
    }

    /** The named presets: the pruned CIFAR architectures of Li et al. (ALGORITHMS.md 8.2). */
    public static List<String> presets() { return List.of("vgg16-a", "resnet56-a", "resnet56-b"); }

    public static Architecture preset(String name) {
        return switch (name) {
            case "vgg16-a" -> vgg16A();
            case "resnet56-a" -> resnet56Li(new double[] {0.1, 0.1, 0.1}, Set.of(16, 20, 38, 54));
            case "resnet56-b" -> resnet56Li(new double[] {0.6, 0.3, 0.1}, Set.of(16, 18, 20, 34, 38, 54));
            default -> throw new IllegalArgumentException("--widths '" + name + "' is no preset (" + String.join(", ", presets())
                    + ") and no file (an architecture file ends in .json or is given with a path, e.g. ./arch)");
        };
    }

    /** VGG-16-A (Li et al.): conv1 and conv8 to conv13 at half width, the rest kept. */
    private static Architecture vgg16A() {
        Map<String, Integer> w = new LinkedHashMap<>(defaultWidths("vgg16"));
        for (int i : new int[] {1, 8, 9, 10, 11, 12, 13}) w.put("conv" + i, w.get("conv" + i) / 2);
        return new Architecture("vgg16", w);
    }

    /**
     * ResNet-56-A/B (Li et al.): only the first conv of each basic block is pruned, to
     * {@code floor(c * (1 - p[stage]))} channels (their code's {@code int()}), except the conv
     * layers whose index is in {@code skip}, counting the stem as 1 (so block b's first conv,
     * counted over all stages, is {@code 2 + 2b}; the projections of our option-B model are
     * not counted, their option-A model has none).
     */
    private static Architecture resnet56Li(double[] p, Set<Integer> skip) {
        Map<String, Integer> w = new LinkedHashMap<>(defaultWidths("resnet56"));
        for (int stage = 0; stage < 3; stage++) {
            for (int b = 0; b < 9; b++) {
                int index = 2 + 2 * (9 * stage + b);
                if (skip.contains(index)) continue;
                w.put("layer" + (stage + 1) + "." + b + ".branch.conv1", (int) Math.floor((16 << stage) * (1 - p[stage])));
            }
        }
        return new Architecture("resnet56", w);
    }

    /** The file form, pretty-printed (one width a line). */
    public String toJson() { return json(true); }

    /** The file form on one line (for safetensors metadata). */
    public String toCompactJson() { return json(false); }

    private String json(boolean pretty) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        ObjectNode w = root.putObject("widths");
        widths.forEach(w::put);
        try {
            return pretty ? JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n"
                    : JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an architecture as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Parses the file form; {@code source} names where it came from in the one-line error. */
    public static Architecture fromJson(String text, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad(source, "is not valid JSON (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw bad(source, "is not a JSON object");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) throw bad(source, "has an unknown key '" + key + "' (an architecture has " + String.join(", ", List.of("format", "version", "model", "widths")) + ")");
        }
        if (!FORMAT.equals(root.path("format").asText(null))) throw bad(source, "has no \"format\": \"" + FORMAT + "\"");
        if (!root.path("version").isInt() || root.get("version").intValue() != VERSION) {
            throw bad(source, "has version " + root.path("version") + "; this sparsestep reads version " + VERSION);
        }
        if (!root.path("model").isTextual()) throw bad(source, "has no \"model\" (a model id such as vgg16)");
        JsonNode w = root.path("widths");
        if (!w.isObject()) throw bad(source, "has no \"widths\" object (layer name to width)");
        LinkedHashMap<String, Integer> widths = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = w.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isInt()) throw bad(source, "width of '" + e.getKey() + "' is " + e.getValue() + ", not a whole number");
            widths.put(e.getKey(), e.getValue().intValue());
        }
        try {
            return new Architecture(root.get("model").textValue(), widths);
        } catch (IllegalArgumentException e) {
            throw bad(source, e.getMessage());
        }
    }

    /** Reads an architecture file. */
    public static Architecture read(Path file) {
        try {
            return fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--widths " + file + ": no such file; pass an architecture.json (what `sparsestep shrink` writes) or a preset ("
                    + String.join(", ", presets()) + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException("--widths " + file + ": cannot read it (" + e.getMessage() + ")", e);
        }
    }

    private static IllegalArgumentException bad(String source, String problem) {
        return new IllegalArgumentException("architecture " + source + ": " + problem);
    }

    /** Each conv/linear layer but the classifier, to its width, in execution order. */
    private static Map<String, Integer> defaultWidths(String model) {
        int[] input = nominalInput(model);
        ModelGraph g = ModelGraph.of(Models.create(model, input, 10), input);
        LinkedHashMap<String, Integer> w = new LinkedHashMap<>();
        for (ModelGraph.Weighted l : g.weighted()) if (l != g.classifier()) w.put(l.name(), l.outWidth());
        return w;
    }

    /** An input the model is defined for; widths do not depend on it (LeNets: MNIST's, the others: CIFAR's). */
    static int[] nominalInput(String model) {
        return model.startsWith("lenet") ? new int[] {1, 28, 28} : new int[] {3, 32, 32};
    }

    private static String preview(Set<String> names) {
        List<String> all = new ArrayList<>(names);
        return all.size() <= 4 ? String.join(", ", all) : String.join(", ", all.subList(0, 3)) + ", ..., " + all.getLast();
    }
}
