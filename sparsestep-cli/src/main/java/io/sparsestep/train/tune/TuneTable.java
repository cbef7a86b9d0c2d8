package io.sparsestep.train.tune;

import java.util.Locale;

/** {@code tune.md}: every c tried, in the order tried, against the reference, and the choice. */
final class TuneTable {
    private TuneTable() {}

    static String markdown(TuneSummary s) {
        StringBuilder sb = new StringBuilder();
        double ref = s.reference().validationAccuracy();
        sb.append(String.format(Locale.ROOT, "# tune: %s on %s/%s, %d epochs per trial, seed %d%n%n", s.method(), s.model(), s.dataset(),
                s.epochs(), s.seed()));
        sb.append(String.format(Locale.ROOT, "Validation: %d images (%s of the training split, carved by the seed; the test split is not used). "
                        + "Reference: SGD without momentum at lr %s, validation accuracy %.4f. A c keeps the accuracy when it is at most %s points below.%n%n",
                s.validationImages(), CSearch.text(s.validationFraction()), s.reference().options().get("--lr"), ref,
                CSearch.text(s.search().tolerancePoints())));
        sb.append("| c | validation accuracy | vs SGD (points) | sparsity, all parameters | sparsity, conv/linear weights | result |\n");
        sb.append("|---:|---:|---:|---:|---:|---|\n");
        for (TuneSummary.TrialEntry t : s.trials()) {
            if (t.failure() != null) {
                sb.append("| ").append(CSearch.text(t.c())).append(" | — | — | — | — | failed: ").append(t.failure().replace("|", "\\|")).append(" |\n");
                continue;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %.4f | %+.2f | %.4f | %.4f | %s |%n", CSearch.text(t.c()), t.validationAccuracy(),
                    100 * (t.validationAccuracy() - ref), t.sparsity(), t.weightSparsity(),
                    t.passed() ? (s.chosenC() != null && t.c() == s.chosenC() ? "kept, **chosen**" : "kept") : "too large"));
        }
        sb.append('\n');
        if (s.chosenC() == null) sb.append("Chosen: none (even the first c lost more than the tolerance).\n");
        else sb.append("Chosen: `--c ").append(CSearch.text(s.chosenC())).append('`')
                .append(s.hitLimit() ? " (every c tried kept the accuracy; the search ran out of trials)" : "").append(".\n");
        return sb.toString();
    }
}
