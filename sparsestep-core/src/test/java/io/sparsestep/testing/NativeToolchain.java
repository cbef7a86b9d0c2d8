package io.sparsestep.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The C/C++ compilers the GPU-free CUDA tests build with (the fake CUDA stack, the real
 * kernels compiled for the host). A machine without them is a test failure naming the
 * install line, not a silent skip: a CI image that lost gcc would otherwise stay green
 * with no CUDA coverage at all. Setting {@value #OPT_OUT}=1 skips those tests knowingly.
 */
public final class NativeToolchain {
    public static final String OPT_OUT = "SPARSESTEP_SKIP_NATIVE_TESTS";
    private static final String INSTALL = "apt-get install -y gcc g++";

    private NativeToolchain() {}

    /** Fails (or, with the opt-out set, skips) unless every command answers {@code --version}. */
    public static void require(String... commands) {
        for (String command : commands) {
            if (answers(command)) continue;
            String why = command + " not found: the GPU-free CUDA tests compile the fake CUDA stack and the real "
                    + "kernels/*.cu with it. Install it (" + INSTALL + ") or set " + OPT_OUT + "=1 to skip these tests knowingly";
            if ("1".equals(System.getenv(OPT_OUT))) Assumptions.abort(why);
            fail(why);
        }
    }

    /**
     * The repository root: the working directory, where the parent pom's surefire
     * configuration runs every module's tests (Maven's basedir is the module's folder).
     */
    public static Path repository() {
        return Path.of(System.getProperty("user.dir"));
    }

    /** Runs a command to completion; its output becomes the message of the failure when it exits non-zero. */
    public static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException(String.join(" ", command) + " exited " + rc + ":\n" + out);
        return out;
    }

    private static boolean answers(String command) {
        try {
            Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
