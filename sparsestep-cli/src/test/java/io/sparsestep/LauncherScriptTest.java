package io.sparsestep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./sparsestep} launcher, run by bash on a copy of itself in a throw-away project
 * whose {@code mvn} and JDK are stand-in scripts: {@code mvn} logs its arguments and writes
 * the jar, {@code java} echoes its arguments. So the test sees exactly when the launcher
 * rebuilds and what it passes on, in milliseconds and without a real build.
 */
class LauncherScriptTest {
    /** The cli module's jar: its own artifactId, the version of its parent (the root pom). */
    private static final String JAR = "sparsestep-cli/target/demo-cli-1.0.jar";
    private static final Instant BUILT = Instant.parse("2030-01-01T00:00:00Z");

    @TempDir
    Path tmp;
    private Path project;
    private Path mvnLog;
    private Path fakeJdk;
    private Path fakeBin;

    record Result(int exit, String out, String err) {
    }

    @BeforeEach
    void project() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        project = Files.createDirectories(tmp.resolve("project"));
        Files.copy(Path.of("sparsestep"), project.resolve("sparsestep"));
        executable(project.resolve("sparsestep"));
        // the same shape as the real poms: a root that aggregates the modules, modules that
        // inherit its version, dependency versions after their own coordinates, the bench root
        // added to the cli module by build-helper
        Files.writeString(project.resolve("pom.xml"), """
                <project>
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>g</groupId>
                  <artifactId>demo-parent</artifactId>
                  <version>1.0</version>
                  <packaging>pom</packaging>
                  <modules>
                    <module>sparsestep-core</module>
                    <module>sparsestep-cli</module>
                  </modules>
                  <dependencyManagement><dependencies><dependency><artifactId>x</artifactId><version>9.9</version></dependency></dependencies></dependencyManagement>
                </project>
                """);
        write(project.resolve("sparsestep-core/pom.xml"), """
                <project>
                  <parent><groupId>g</groupId><artifactId>demo-parent</artifactId><version>1.0</version></parent>
                  <artifactId>demo-core</artifactId>
                </project>
                """);
        write(project.resolve("sparsestep-cli/pom.xml"), """
                <project>
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>g</groupId>
                    <artifactId>demo-parent</artifactId>
                    <version>1.0</version>
                  </parent>
                  <artifactId>demo-cli</artifactId>
                  <dependencies><dependency><artifactId>x</artifactId><version>9.9</version></dependency></dependencies>
                  <build><plugins><plugin><executions><execution><configuration>
                    <sources><source>../bench/src/main/java</source></sources>
                  </configuration></execution></executions></plugin></plugins></build>
                </project>
                """);
        write(project.resolve("sparsestep-core/src/main/java/a/A.java"), "class A {}");
        write(project.resolve("sparsestep-cli/src/main/java/c/C.java"), "class C {}");
        write(project.resolve("bench/src/main/java/b/B.java"), "class B {}");
        write(project.resolve("docs/DESIGN.md"), "# not compiled into the jar");
        write(project.resolve("bench/pytorch/bench_pytorch.py"), "# not compiled into the jar");

        fakeJdk = tmp.resolve("jdk");
        write(fakeJdk.resolve("release"), "JAVA_VERSION=\"25\"\n");
        script(fakeJdk.resolve("bin/java"), "echo \"java $*\"");
        script(fakeJdk.resolve("bin/javac"), "exit 0");
        mvnLog = tmp.resolve("mvn.log");
        fakeBin = tmp.resolve("bin");
        script(fakeBin.resolve("mvn"), "echo \"mvn $*\" >> '" + mvnLog + "'\nmkdir -p sparsestep-cli/target && : > " + JAR);
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static void script(Path file, String body) throws IOException {
        write(file, "#!/bin/sh\n" + body + "\n");
        executable(file);
    }

    private static void executable(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", project.resolve("sparsestep").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", fakeJdk.toString());
        env.put("SPARSESTEP_JVM_DIR", tmp.resolve("no-jvms").toString());
        env.put("PATH", fakeBin + ":/usr/bin:/bin");
        env.remove("SPARSESTEP_JAVA_OPTS");
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launcher timed out");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private int builds() throws IOException {
        return Files.exists(mvnLog) ? (int) Files.readAllLines(mvnLog, StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains(" package")).count() : 0;
    }

    /** Builds once, then dates the jar and every source to fixed times so "newer" is exact. */
    private void builtJar() throws IOException, InterruptedException {
        assertEquals(0, run("train").exit());
        assertEquals(1, builds(), "first run builds the missing jar");
        try (var files = Files.walk(project)) {
            for (Path f : files.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(BUILT.minusSeconds(60)));
            }
        }
        Files.setLastModifiedTime(project.resolve(JAR), FileTime.from(BUILT));
    }

    private void edit(String file) throws IOException {
        Files.setLastModifiedTime(project.resolve(file), FileTime.from(BUILT.plusSeconds(60)));
    }

    @Test
    void upToDateJarIsNotRebuiltAndArgumentsPassThrough() throws Exception {
        builtJar();
        Result r = run("train", "--model", "lenet300");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, builds(), "nothing changed: no rebuild");
        assertTrue(r.out().contains("-jar " + project.resolve(JAR) + " train --model lenet300"), r.out());
    }

    @Test
    void editingABenchSourceRebuildsTheJar() throws Exception {
        builtJar();
        edit("bench/src/main/java/b/B.java");
        assertEquals(0, run("bench").exit());
        assertEquals(2, builds(), "bench/src is compiled into the jar, so an edit there must rebuild it");
    }

    @Test
    void editingEitherModulesSourcesOrAnyPomRebuildsTheJar() throws Exception {
        builtJar();
        int expected = 1;
        Instant jarTime = BUILT;
        for (String file : List.of("sparsestep-core/src/main/java/a/A.java", "sparsestep-cli/src/main/java/c/C.java",
                "pom.xml", "sparsestep-core/pom.xml", "sparsestep-cli/pom.xml")) {
            Files.setLastModifiedTime(project.resolve(JAR), FileTime.from(jarTime));
            Files.setLastModifiedTime(project.resolve(file), FileTime.from(jarTime.plusSeconds(60)));
            run("demo");
            assertEquals(++expected, builds(), "the jar is built from " + file);
            jarTime = jarTime.plusSeconds(120);
        }
    }

    @Test
    void filesOutsideTheJarsSourcesDoNotTriggerARebuild() throws Exception {
        builtJar();
        edit("bench/pytorch/bench_pytorch.py");
        edit("docs/DESIGN.md");
        run("demo");
        assertEquals(1, builds());
    }

    @Test
    void topLevelHelpListsTheLaunchersTestCommandAfterTheJarsHelp() throws Exception {
        builtJar();
        for (String[] args : new String[][] {{"--help"}, {"-h"}, {"help"}, {}}) {
            Result r = run(args);
            assertEquals(0, r.exit(), r.err());
            String[] lines = r.out().split("\n");
            assertTrue(lines[0].startsWith("java ") && lines[0].endsWith(".jar" + (args.length == 0 ? "" : " " + args[0])),
                    "the jar's help comes first: " + r.out());
            assertTrue(r.out().contains("\n  test    Run the test suite"), "test is listed: " + r.out());
        }
    }

    @Test
    void testHelpIsOneLineAboutTheTestCommandNotMavensHelp() throws Exception {
        for (String[] args : new String[][] {{"test", "--help"}, {"test", "-h"}, {"test", "-Dtest=X", "--help"}, {"help", "test"}}) {
            Result r = run(args);
            assertEquals(0, r.exit(), r.err());
            assertEquals(1, r.out().strip().lines().count(), r.out());
            assertTrue(r.out().startsWith("Usage: sparsestep test [maven args]: runs the test suite (mvn -B verify)"), r.out());
        }
        assertFalse(Files.exists(mvnLog), "help must not run Maven");
    }

    @Test
    void testHelpNeedsNoJdk() throws Exception {
        Files.delete(fakeJdk.resolve("bin/java"));
        assertEquals(2, run("train").exit(), "without a JDK the CLI cannot run");
        for (String[] args : new String[][] {{"test", "--help"}, {"help", "test"}}) {
            Result r = run(args);
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().startsWith("Usage: sparsestep test"), r.out());
        }
    }

    @Test
    void testPassesItsArgumentsToMavenVerify() throws Exception {
        assertEquals(0, run("test", "-Dtest=MnistIdxTest").exit());
        assertEquals(List.of("mvn -B -Dstyle.color=never verify -Dtest=MnistIdxTest"), Files.readAllLines(mvnLog));
    }
}
