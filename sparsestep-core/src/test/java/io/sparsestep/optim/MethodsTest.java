package io.sparsestep.optim;

import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The method registry: ids, defaults, options owned by one method refused for another, rules reported by option. */
class MethodsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        GrdaSpec grda = assertInstanceOf(GrdaSpec.class, Methods.parse("grda", Map.of()));
        assertEquals(new GrdaSpec(0.1, 0.01, 0.6, 0), grda);
        SgdSpec sgd = assertInstanceOf(SgdSpec.class, Methods.parse("sgd", Map.of()));
        assertEquals(new SgdSpec(0.01, 0.9, 0, false, 0), sgd);
    }

    @Test
    void givenOptionsOverrideDefaultsAndRoundTripThroughOptions() {
        MethodSpec spec = Methods.parse("grda", Map.of("--c", "0.004", "--mu", "0.4", "--lr", "0.05"));
        assertEquals(new GrdaSpec(0.05, 0.004, 0.4, 0), spec, "mu = 0.4, as the authors ran it, is accepted");
        assertEquals(spec, Methods.parse("grda", spec.options()));
        MethodSpec sgd = Methods.parse("sgd", Map.of("--nesterov", "true", "--weight-decay", "5e-4"));
        assertEquals(sgd, Methods.parse("sgd", sgd.options()));
    }

    @Test
    void anOptionOfAnotherMethodIsRefusedNamingItsOwner() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Methods.parse("sgd", Map.of("--c", "0.5")));
        assertEquals("--c is an option of gRDA (--method grda) and sDprun (--method sdprun); SGD (--method sgd) does not take it", e.getMessage());
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> Methods.parse("grda", Map.of("--momentum", "0.9")));
        assertTrue(m.getMessage().startsWith("--momentum is an option of SGD (--method sgd)"), m.getMessage());
    }

    @Test
    void anUnknownMethodListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Methods.find("adam"));
        assertTrue(e.getMessage().startsWith("unknown --method 'adam'; known: grda (gRDA), sgd (SGD), gsm (GSM)"), e.getMessage());
        for (Method m : Methods.ALL) assertTrue(e.getMessage().contains(m.id() + " (" + m.label() + ")"), m.id());
    }

    @Test
    void rulesAreReportedUnderTheOption() {
        assertEquals("--mu must be in (0, 1) (the theory assumes mu > 0.5), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("grda", Map.of("--mu", "1"))).getMessage());
        assertEquals("--lr must be a finite number, got 'fast'",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("sgd", Map.of("--lr", "fast"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Methods.parse("sgd", Map.of("--nesterov", "true", "--momentum", "0"))).getMessage().startsWith("--nesterov"));
    }

    @Test
    void aSpecBuildsItsOptimizer() {
        try (CpuBackend be = new CpuBackend(1); FlatFixture f = new FlatFixture(be, 20, 4, 1);
             Optimizer opt = Methods.parse("sgd", Map.of("--momentum", "0")).build(f.mem.paramSpace())) {
            assertEquals("sgd", opt.name());
            assertEquals(0, opt.stateBytes(), "no momentum, no state");
        }
        for (Method m : Methods.ALL) {
            assertEquals(m, Methods.find(m.id()));
            assertTrue(m.option("--lr").isPresent(), m.id() + " takes --lr");
        }
    }
}
