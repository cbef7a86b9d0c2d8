package io.sparsestep.train.imp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.train.io.ParetoChart;
import io.sparsestep.train.io.SparsestepVersion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The top-level files of an IMP run, rewritten (atomically) after every round: imp.json (the
 * run's identity, its rule and reset in words, one entry per finished round), imp.csv (the same
 * rounds as a table) and imp.png (test accuracy against sparsity, one labelled point per
 * round, round 0 the dense one). imp.json is written before round 0 too, so a folder
 * holding an IMP run always says which.
 */
public final class ImpReport {
    public static final String JSON = "imp.json";
    public static final String CSV = "imp.csv";
    public static final String PNG = "imp.png";
    public static final List<String> FILES = List.of(JSON, CSV, PNG);
    static final String CSV_HEADER = "round,status,start,test_accuracy,test_loss,sparsity,kept_weights,prunable_weights,kept_params,params,seconds";
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private ImpReport() {}

    /** imp.json, then (with a round finished) imp.csv and imp.png. */
    static void write(ImpConfig cfg, List<ImpRound> rounds, String commandLine) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", cfg.base().model());
        json.put("dataset", cfg.base().dataset());
        json.put("rounds_done", rounds.size());
        json.put("rule", cfg.rule().describe());
        json.put("reset", cfg.reset().toString());
        json.put("reset_rule", resetRule(cfg));
        json.put("round_training", "each round trains --epochs " + cfg.base().epochs() + " with momentum SGD under its mask, held fixed "
                + "(magnitude pruning's optimizer at --sparsity 0 --prune-epoch 0); pruned weights exactly 0, biases and batch norm never pruned; "
                + "the momentum buffer starts empty every round");
        json.put("sparsity_counts", "conv/linear weights, by the round's mask (prunable_weights is the denominator)");
        json.put("config", cfg.identity());
        json.put("rounds", rounds);
        json.put("command_line", commandLine);
        json.put("sparsestep_version", SparsestepVersion.get());
        byte[] bytes = MAPPER.writeValueAsBytes(json);
        AtomicFiles.write(cfg.out().resolve(JSON), out -> {
            out.write(bytes);
            out.write('\n');
        });
        if (rounds.isEmpty()) return;
        AtomicFiles.write(cfg.out().resolve(CSV), out -> out.write(csv(rounds).getBytes(StandardCharsets.UTF_8)));
        List<ParetoChart.Point> points = rounds.stream().map(r -> new ParetoChart.Point("round " + r.round(), r.sparsity(), r.testAccuracy())).toList();
        ImpRound dense = rounds.getFirst();
        ParetoChart.write(cfg.out().resolve(PNG), String.format(Locale.ROOT, "%s on %s: IMP, --fraction %s, --reset %s", cfg.base().model(),
                        cfg.base().dataset(), cfg.rule().fraction(), cfg.reset()),
                String.format(Locale.ROOT, "sparsity (share of the %,d conv/linear weights pruned, mask)", dense.prunableWeights()),
                points, null); // no reference line: round 0, the dense accuracy, is the first point, and the line's label sits at 0.5

    }

    static String csv(List<ImpRound> rounds) {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (ImpRound r : rounds) {
            sb.append(r.round()).append(',').append(r.status()).append(',').append(quoted(r.start())).append(',').append(r.testAccuracy()).append(',')
                    .append(r.testLoss()).append(',').append(r.sparsity()).append(',').append(r.keptWeights()).append(',')
                    .append(r.prunableWeights()).append(',').append(r.keptParams()).append(',').append(r.params()).append(',')
                    .append(r.seconds()).append('\n');
        }
        return sb.toString();
    }

    /** A CSV field: quoted when it holds a comma or a quote (a path given to --init-from may). */
    private static String quoted(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The rounds as the console shows them (a Markdown table, as compare.md's). */
    public static String table(List<ImpRound> rounds) {
        StringBuilder sb = new StringBuilder("| round | start | test accuracy | sparsity (conv/linear weights, mask) | kept weights | kept params | this command |\n")
                .append("|---:|---|---:|---:|---:|---:|---|\n");
        for (ImpRound r : rounds) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.4f | %.4f of %,d | %,d | %,d | %s |%n", r.round(), r.start(), r.testAccuracy(),
                    r.sparsity(), r.prunableWeights(), r.keptWeights(), r.keptParams(), r.status()));
        }
        return sb.toString();
    }

    private static String resetRule(ImpConfig cfg) {
        return switch (cfg.reset().kind()) {
            case REWIND -> "every round starts from round 0's initial weights (round-00/" + ImpFiles.INIT + ")";
            case REWIND_TO -> "every round starts from the weights after " + cfg.reset().step() + " training iterations of round 0 (round-00/"
                    + ImpFiles.REWIND + ")";
            case REINIT -> "every round starts from a fresh initialisation, seed + round * 0x9E3779B97F4A7C15 (round-NN/" + ImpFiles.REINIT + ")";
            case CONTINUE -> "every round starts from the weights the previous round ended with (fine-tuning)";
        } + "; the pruned weights start at exactly 0, the batch-norm statistics come with the weights";
    }

    /**
     * Empty when {@code out} may hold this run (no imp.json, or one of the same identity), else
     * the reason in words. Round folders without an imp.json are another program's.
     */
    public static Optional<String> conflict(ImpConfig cfg) {
        Path file = cfg.out().resolve(JSON);
        if (!Files.isRegularFile(file)) {
            return Files.isDirectory(cfg.roundDir(0)) ? Optional.of(cfg.out() + " holds " + ImpConfig.roundName(0) + " but no " + JSON
                    + " (not an IMP run of this sparsestep)") : Optional.empty();
        }
        return configConflict(file, cfg.identity(), cfg.out() + " holds an IMP run of another configuration");
    }

    /**
     * Empty when the JSON {@code file} records {@code ours} as its {@code "config"} list, else
     * {@code holds} with the first option that differs ("... (--fraction 0.2 there, 0.5 here)"),
     * or what is wrong with the file.
     */
    public static Optional<String> configConflict(Path file, List<String> ours, String holds) {
        List<String> theirs = new ArrayList<>();
        try {
            JsonNode config = MAPPER.readTree(file.toFile()).get("config");
            if (config == null || !config.isArray()) return Optional.of(file + " has no \"config\" list; the file is damaged");
            config.forEach(n -> theirs.add(n.asText()));
        } catch (IOException e) {
            return Optional.of(file + " cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (theirs.equals(ours)) return Optional.empty();
        return Optional.of(holds + " (" + firstDifference(theirs, ours) + ")");
    }

    /** "--fraction 0.2 there, 0.5 here", naming the first argument that differs. */
    static String firstDifference(List<String> theirs, List<String> ours) {
        for (int i = 0; i < Math.min(theirs.size(), ours.size()); i++) {
            if (theirs.get(i).equals(ours.get(i))) continue;
            String option = i > 0 && theirs.get(i - 1).equals(ours.get(i - 1)) && ours.get(i - 1).startsWith("--") ? ours.get(i - 1) + " " : "";
            return option + theirs.get(i) + " there, " + ours.get(i) + " here";
        }
        return theirs.size() < ours.size() ? ours.get(theirs.size()) + " is new here" : theirs.get(ours.size()) + " is not given here";
    }
}
