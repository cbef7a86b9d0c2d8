package io.sparsestep.train.tune;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search on accuracy curves whose answer is known: a cliff at a known c must be found to
 * within the refinement's resolution, the first failure ends the doublings even when a larger
 * c would pass again, a failed run counts as too large, and the rounding to 3 digits.
 */
class CSearchTest {
    private static final double REF = 0.98;

    /** Runs the search on {@code accuracy(c)} and records the c's asked for. */
    private static CSearch.Result search(CSearch s, DoubleUnaryOperator accuracy, List<Double> asked) {
        return s.search(REF, c -> {
            asked.add(c);
            double a = accuracy.applyAsDouble(c);
            return Double.isNaN(a) ? CSearch.Trial.failed(c, "diverged") : new CSearch.Trial(c, a, 0.5, 0.5, null);
        });
    }

    @Test
    void aCliffIsFoundByDoublingAndBisection() {
        // accuracy holds up to c = 0.005, then drops by 5 points
        DoubleUnaryOperator cliff = c -> c <= 0.005 ? REF - 0.002 : REF - 0.05;
        List<Double> asked = new ArrayList<>();
        CSearch.Result r = search(new CSearch(1e-4, 2, 12, 3, 1.0), cliff, asked);
        // doublings: 1e-4 .. 0.0032 pass, 0.0064 fails; bisections: sqrt(.0032*.0064)=0.00453 (pass), 0.00538 (fail), 0.00494 (pass)
        assertEquals(List.of(1e-4, 2e-4, 4e-4, 8e-4, 0.0016, 0.0032, 0.0064, 0.00453, 0.00538, 0.00494), asked);
        assertEquals(0.00494, r.chosen().c());
        assertFalse(r.hitLimit());
        for (CSearch.Trial t : r.trials()) {
            assertEquals(t.c() <= 0.005, new CSearch(1e-4, 2, 12, 3, 1.0).passes(t, REF), "c " + t.c());
        }
    }

    @Test
    void theFirstFailureEndsTheDoublingsEvenIfALargerCPassesAgain() {
        // a dip at 4e-4 only: the recipe takes the largest c before the first loss, not one past it
        DoubleUnaryOperator dip = c -> Math.abs(c - 4e-4) < 1e-9 ? REF - 0.03 : REF;
        List<Double> asked = new ArrayList<>();
        CSearch.Result r = search(new CSearch(1e-4, 2, 12, 0, 1.0), dip, asked);
        assertEquals(List.of(1e-4, 2e-4, 4e-4), asked);
        assertEquals(2e-4, r.chosen().c());
    }

    @Test
    void exactlyTheToleranceBelowPassesAndAFailedRunIsTooLarge() {
        CSearch s = new CSearch(1e-3, 10, 5, 0, 1.0);
        assertTrue(s.passes(new CSearch.Trial(1e-3, REF - 0.01, 0, 0, null), REF));
        assertFalse(s.passes(new CSearch.Trial(1e-3, REF - 0.0101, 0, 0, null), REF));
        assertFalse(s.passes(CSearch.Trial.failed(1e-3, "diverged"), REF));

        List<Double> asked = new ArrayList<>();
        CSearch.Result r = search(s, c -> c >= 0.1 ? Double.NaN : REF, asked);
        assertEquals(List.of(1e-3, 0.01, 0.1), asked);
        assertEquals(0.01, r.chosen().c());
        assertEquals("diverged", r.trials().getLast().failure());
    }

    @Test
    void noCWhenTheFirstFailsAndTheLimitWhenNoneDoes() {
        List<Double> asked = new ArrayList<>();
        CSearch.Result none = search(new CSearch(1e-4, 2, 12, 2, 1.0), c -> REF - 0.2, asked);
        assertNull(none.chosen());
        assertEquals(List.of(1e-4), asked, "no bisection below the first c");

        asked.clear();
        CSearch.Result all = search(new CSearch(1e-4, 2, 4, 2, 1.0), c -> REF, asked);
        assertEquals(List.of(1e-4, 2e-4, 4e-4, 8e-4), asked);
        assertEquals(8e-4, all.chosen().c());
        assertTrue(all.hitLimit());
    }

    @Test
    void bisectionStopsWhereThreeDigitsHaveNoCBetween() {
        // pass up to 1.00e-3, fail at 1.01e-3 (factor 1.01): the midpoint rounds onto an end
        List<Double> asked = new ArrayList<>();
        CSearch.Result r = search(new CSearch(1e-3, 1.01, 5, 5, 1.0), c -> c <= 1e-3 ? REF : 0, asked);
        assertEquals(List.of(1e-3, 0.00101), asked);
        assertEquals(1e-3, r.chosen().c());
    }

    @Test
    void roundingAndTextAndChecks() {
        assertEquals(0.00453, CSearch.rounded(Math.sqrt(0.0032 * 0.0064)));
        assertEquals(0.128, CSearch.rounded(1e-4 * Math.pow(2, 10) * 1.25));
        assertEquals("0.0004", CSearch.text(4e-4));
        assertEquals("0.000283", CSearch.text(CSearch.rounded(Math.sqrt(2e-4 * 4e-4))));
        assertThrows(IllegalArgumentException.class, () -> new CSearch(0, 2, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CSearch(1e-4, 1, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CSearch(1e-4, 2, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CSearch(1e-4, 2, 3, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CSearch(1e-4, 2, 3, 0, Double.NaN));
    }
}
