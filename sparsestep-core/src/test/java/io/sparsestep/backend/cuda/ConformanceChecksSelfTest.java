package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Result;
import io.sparsestep.testing.WatchedBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance harness itself, without a GPU: the CPU backend against a second CPU
 * backend must pass every check, and a backend with one injected fault (a wrong element,
 * a write past the end of a view) must fail exactly the checks of that op.
 */
class ConformanceChecksSelfTest {
    private static CpuBackend reference;
    private static CpuBackend inner;

    @BeforeAll
    static void open() {
        reference = new CpuBackend(2);
        inner = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        reference.close();
        inner.close();
    }

    @Test
    void theReferenceAgreesWithItselfOnEveryCheck() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Result> results = CudaDoctor.compare(inner, reference, CudaDoctor.SEED, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(results.stream().allMatch(Result::passed), out);
        // one line per result, each saying PASS, and every check contributed
        assertEquals(results.size(), out.lines().filter(l -> l.contains(" PASS")).count(), out);
        for (Check c : ConformanceChecks.all()) {
            assertTrue(results.stream().anyMatch(r -> r.name().startsWith(c.name() + ".")), c.name() + " contributed no result");
        }
    }

    @Test
    void aWrongElementFailsOnlyThatOp() {
        Backend faulty = withFault("add", (b, args) -> {
            Tensor out = (Tensor) args[2];
            b.elementwise().fill(out.range(out.size() - 1, 1), 42f);
            return null;
        });
        for (Check c : ConformanceChecks.all()) {
            if (!c.name().equals("elementwise.add") && !c.name().equals("copy")) continue;
            List<Result> results = c.run(faulty, reference, 1);
            boolean allPassed = results.stream().allMatch(Result::passed);
            assertEquals(!c.name().equals("elementwise.add"), allPassed, c.name() + ": " + results);
        }
        List<Result> add = ConformanceChecks.all().stream().filter(c -> c.name().equals("elementwise.add")).findFirst().orElseThrow()
                .run(faulty, reference, 1);
        Result first = add.getFirst();
        assertFalse(first.passed());
        assertEquals("elementwise.add.out", first.name());
        assertTrue(first.note().startsWith("n=1 offsets=0,0,0: first difference at 0: got 42.0"), first.note());
        assertTrue(first.line().endsWith("FAIL  " + first.note()), first.line());
    }

    @Test
    void aWritePastTheViewIsCaughtByTheGuardWords() {
        Backend faulty = withFault("fill", (b, args) -> {
            Tensor t = (Tensor) args[0];
            b.elementwise().fill(new Tensor(t.buffer(), t.offset(), (int) t.size() + 1), (float) args[1]);
            return null;
        });
        Check fill = ConformanceChecks.all().stream().filter(c -> c.name().equals("elementwise.fill")).findFirst().orElseThrow();
        Result r = fill.run(faulty, reference, 1).getFirst();
        assertFalse(r.passed());
        assertTrue(r.note().endsWith("wrote outside its view at word 1 of the view"), r.note());
    }

    @Test
    void anExceptionIsAFailedResultNotACrash() {
        Backend throwing = withFault("countZeros", (b, args) -> {
            throw new IllegalStateException("kernel\nexploded");
        });
        Check check = ConformanceChecks.all().stream().filter(c -> c.name().equals("elementwise.countZeros")).findFirst().orElseThrow();
        List<Result> results = check.run(throwing, reference, 1);
        Result last = results.getLast();
        assertFalse(last.passed());
        assertEquals("elementwise.countZeros [n=1 offset=0]", last.name());
        assertEquals("threw java.lang.IllegalStateException: kernel exploded", last.note());
    }

    /**
     * The inner CPU backend, except that {@code method} (of Backend or of an op family it
     * hands out) runs {@code fault} after (or instead of) the real op.
     */
    private static Backend withFault(String method, BiFunction<Backend, Object[], Object> fault) {
        return WatchedBackend.of(inner, (m, args, call) -> {
            Object result = call.proceed();
            return m.getName().equals(method) ? coalesce(fault.apply(inner, args), result) : result;
        });
    }

    /** Every op family Backend exposes is found with its checks (a family without a checks class would be a failing check). */
    @Test
    void everyOpFamilyContributesItsConformanceChecks() {
        java.util.Set<String> prefixes = ConformanceChecks.familyChecks().stream()
                .map(c -> c.name().contains(".") ? c.name().substring(0, c.name().indexOf('.')) : "MISSING " + c.name())
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        assertEquals(java.util.Set.of("elementwise", "groups", "loss", "masks", "selects", "steps", "vectors"), prefixes);
        assertTrue(ConformanceChecks.all().stream().anyMatch(c -> c.name().equals("vectors.dot")), "all() includes the families");
    }

    private static Object coalesce(Object a, Object b) {
        return a != null ? a : b;
    }
}
