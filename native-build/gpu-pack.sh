#!/usr/bin/env bash
# Fills .gpu/ (git-ignored: add /.gpu/ to .git/info/exclude) with what gpu-validate.sh needs on
# a GPU host without Java: a jlink'd runtime, the shaded jar, compiled tests, JUnit's console.
set -euo pipefail
cd "$(dirname "$0")/.."
./sparsestep --version > /dev/null            # builds the jar if needed
mvn -B -q -DskipTests test-compile -pl sparsestep-cli -am   # core and cli: the GPU run needs neither djl nor dl4j
mkdir -p .gpu
# java.desktop for the XChart PNG, java.sql for Jackson
[ -f .gpu/jre.tgz ] || MODULES=java.base,java.logging,java.management,jdk.management,jdk.unsupported,java.xml,java.naming,jdk.incubator.vector,jdk.crypto.ec,java.desktop,java.sql ../shared/tools/pack-jre .gpu/jre.tgz
cp sparsestep-cli/target/sparsestep-cli-*.jar .gpu/sparsestep.jar
# both modules' tests in one folder (they share packages, never class names)
rm -rf .gpu/test-classes && mkdir -p .gpu/test-classes
cp -r sparsestep-core/target/test-classes/. sparsestep-cli/target/test-classes/. .gpu/test-classes/
v=1.11.4
jar=~/.m2/repository/org/junit/platform/junit-platform-console-standalone/$v/junit-platform-console-standalone-$v.jar
[ -f "$jar" ] || mvn -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$v
cp "$jar" .gpu/junit-console.jar
du -sh .gpu
