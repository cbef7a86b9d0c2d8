package io.sparsestep.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A missing compiler is a failure naming the install line, not a skip: CI without gcc must
 * go red rather than green with no CUDA coverage. Only the opt-out variable turns it into a
 * skip (then this test checks that instead).
 */
class NativeToolchainTest {
    @Test
    void aMissingCompilerFailsWithTheInstallLine() {
        if ("1".equals(System.getenv(NativeToolchain.OPT_OUT))) {
            TestAbortedException skipped = assertThrows(TestAbortedException.class, () -> NativeToolchain.require("no-such-compiler-42"));
            assertTrue(skipped.getMessage().contains("apt-get install -y gcc g++"), skipped.getMessage());
            return;
        }
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> NativeToolchain.require("no-such-compiler-42"));
        assertTrue(e.getMessage().contains("no-such-compiler-42 not found") && e.getMessage().contains("apt-get install -y gcc g++")
                && e.getMessage().contains(NativeToolchain.OPT_OUT), e.getMessage());
    }

    @Test
    void anInstalledCompilerPasses() {
        NativeToolchain.require("gcc", "g++"); // CI installs them (.ci/run); without them the fake CUDA stack tests fail too
    }
}
