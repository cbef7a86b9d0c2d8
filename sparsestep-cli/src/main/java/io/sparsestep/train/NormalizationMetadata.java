package io.sparsestep.train;

import io.sparsestep.store.CheckpointException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.data.Normalization;

import java.util.List;

/**
 * The input normalisation a run trained with, as weights metadata ({@value #KEY}:
 * {@code {"mean":[...],"std":[...]}}, per channel, of pixels scaled to [0,1]), so a model
 * exported or evaluated elsewhere sees its inputs as training did without the training data.
 * Floats are written by {@link Float#toString}, which reads back to the same float.
 */
public final class NormalizationMetadata {
    public static final String KEY = "normalization";
    private static final ObjectMapper JSON = new ObjectMapper();

    private NormalizationMetadata() {}

    public static String toJson(Normalization n) {
        // numbers as Float.toString spells them, not widened to double
        return "{\"mean\":[" + String.join(",", floats(n.mean())) + "],\"std\":[" + String.join(",", floats(n.std())) + "]}";
    }

    /** The normalisation {@code json} holds; {@code source} names the file in the error. */
    public static Normalization fromJson(String json, String source) {
        try {
            JsonNode root = JSON.readTree(json);
            return new Normalization(floats(root.get("mean")), floats(root.get("std")));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new CheckpointException(source + ": its '" + KEY + "' metadata is not a normalisation (" + e.getMessage() + ")", e);
        }
    }

    private static List<String> floats(float[] v) {
        List<String> out = new java.util.ArrayList<>();
        for (float f : v) out.add(Float.toString(f));
        return out;
    }

    private static float[] floats(JsonNode array) {
        if (array == null || !array.isArray()) throw new IllegalArgumentException("mean and std must be arrays");
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = Float.parseFloat(array.get(i).asText());
        return out;
    }
}
