#!/usr/bin/env bash
# GPU validation on a CUDA host that has no Java and no network (the H200 lent by the
# device tool). Run ./native-build/gpu-pack.sh here first; it fills .gpu/ (ignored by git)
# with a jlink'd runtime, the shaded jar, the test classes and the JUnit console launcher.
# On the GPU host, from the repository root:   OUT=/some/dir native-build/gpu-validate.sh
# Logs go to $OUT: nvidia-smi, doctor, the GPU test suite, demo --device cuda, a VGG-16
# synth-cifar run, and compute-sanitizer memcheck/racecheck over doctor.
set -u
out=${OUT:-/tmp/sparsestep-gpu}
mkdir -p "$out" /tmp/jre
tar xzf .gpu/jre.tgz -C /tmp/jre --strip-components=1
java=/tmp/jre/bin/java
flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djava.awt.headless=true)
jar=.gpu/sparsestep.jar
step() { echo "== $*"; }

step nvidia-smi; nvidia-smi > "$out/nvidia-smi.txt" 2>&1
step doctor; "$java" "${flags[@]}" -jar "$jar" doctor > "$out/doctor.log" 2>&1; echo "doctor exit $?" >> "$out/doctor.log"
step tests
"$java" "${flags[@]}" -jar .gpu/junit-console.jar execute --disable-banner --details=summary \
    --class-path ".gpu/test-classes:$jar" --select-package io.sparsestep > "$out/tests.log" 2>&1
echo "tests exit $?" >> "$out/tests.log"
step demo; "$java" "${flags[@]}" -jar "$jar" demo --device cuda --no-progress --out /tmp/demo > "$out/demo.log" 2>&1
echo "demo exit $?" >> "$out/demo.log"
step vgg16; "$java" "${flags[@]}" -jar "$jar" train --model vgg16 --dataset synth-cifar --optimizer grda \
    --lr 0.1 --c 0.0005 --mu 0.7 --epochs ${VGG_EPOCHS:-3} --device cuda --no-progress --out /tmp/vgg > "$out/vgg16.log" 2>&1
echo "vgg16 exit $?" >> "$out/vgg16.log"
if command -v compute-sanitizer > /dev/null; then
  for tool in memcheck racecheck; do
    step "compute-sanitizer $tool"
    compute-sanitizer --tool $tool --print-limit 20 "$java" "${flags[@]}" -jar "$jar" doctor > "$out/sanitizer-$tool.log" 2>&1
    echo "sanitizer $tool exit $?" >> "$out/sanitizer-$tool.log"
  done
fi
tail -n 3 "$out"/*.log
