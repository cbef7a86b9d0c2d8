#!/usr/bin/env bash
# GPU validation on a CUDA host that has no Java and no network (the H200 lent by the
# device tool). Run native-build/gpu-pack.sh here first; it fills .gpu/ (ignored by git)
# with a jlink'd runtime, the shaded jar, the test classes and the JUnit console launcher.
#
# On the GPU host, from the repository root:
#   OUT=/some/dir native-build/gpu-validate.sh [PHASE ...]
# Phases (default: info tests demo):
#   info       nvidia-smi, the wheel libraries found, ./sparsestep doctor
#   tests      the whole JUnit suite (CudaConformanceTest and RealNvidiaLibrariesTest run there)
#   demo       demo --device cuda (the acceptance run: same targets as on the CPU)
#   vgg16      VGG-16 on synth-cifar with gRDA, $VGG_EPOCHS epochs (default 3)
#   sanitizer  compute-sanitizer memcheck and racecheck over doctor
#   bench      PyTorch's side (bench/pytorch) then the JMH suite on the GPU, side by side
# Each step runs under `timeout` ($STEP_TIMEOUT seconds, default 240) so one hang cannot eat
# the device call. The device tool returns at most 8 files from $OUT, so every log goes
# into $OUT/gpu-logs.tgz, plus $OUT/summary.txt (the tail of each log), which is also printed.
set -u
out=${OUT:-/tmp/sparsestep-gpu}
logs=/tmp/sparsestep-gpu-logs
step_timeout=${STEP_TIMEOUT:-240}
phases=("$@")
[ ${#phases[@]} -eq 0 ] && phases=(info tests demo)
mkdir -p "$out" "$logs" /tmp/jre
[ -x /tmp/jre/bin/java ] || tar xzf .gpu/jre.tgz -C /tmp/jre --strip-components=1
java=/tmp/jre/bin/java
flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djava.awt.headless=true)
jar=.gpu/sparsestep.jar
export PYTHONUNBUFFERED=1

# run NAME COMMAND...: COMMAND's output into $logs/NAME.log, then its exit status and seconds.
run() {
    local name=$1; shift
    echo "== $name: $*"
    local start=$SECONDS
    timeout "$step_timeout" "$@" > "$logs/$name.log" 2>&1
    local rc=$?
    echo "$name exit $rc ($((SECONDS - start)) s)$([ $rc -eq 124 ] && echo ", timed out after $step_timeout s")" | tee -a "$logs/$name.log"
}

for phase in "${phases[@]}"; do
    case $phase in
    info)
        run nvidia-smi nvidia-smi
        run wheel-libraries bash -c 'for d in $(python3 -c "import site; print(\" \".join(site.getsitepackages()))" 2>/dev/null); do ls -l "$d"/nvidia/*/lib/lib{cuda,cublas,cudnn,nvrtc}*.so* 2>/dev/null; done'
        run doctor "$java" "${flags[@]}" -jar "$jar" doctor
        ;;
    tests)
        # the GPU-free CUDA tests (fake stack, host-compiled kernels) need gcc/g++; on a GPU
        # host without them, skip those knowingly rather than fail the device run
        if ! command -v gcc >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then export SPARSESTEP_SKIP_NATIVE_TESTS=1; fi
        # both modules' tests on the shaded jar, which holds every library: CoreDependenciesTest
        # (core's classpath lacks the CLI's libraries) can only hold on core's own, so it is left out
        run tests "$java" "${flags[@]}" -jar .gpu/junit-console.jar execute --disable-banner --disable-ansi-colors --details=tree \
            --class-path ".gpu/test-classes:$jar" --select-package io.sparsestep \
            --exclude-classname '^io\.sparsestep\.CoreDependenciesTest$'
        ;;
    demo)
        run demo "$java" "${flags[@]}" -jar "$jar" demo --device cuda --no-progress --out /tmp/demo
        ;;
    vgg16)
        run vgg16 "$java" "${flags[@]}" -jar "$jar" train --model vgg16 --dataset synth-cifar --optimizer grda \
            --lr 0.1 --c 0.0005 --mu 0.7 --epochs "${VGG_EPOCHS:-3}" --device cuda --no-progress --out /tmp/vgg
        ;;
    sanitizer)
        if command -v compute-sanitizer > /dev/null; then
            for tool in memcheck racecheck; do
                run "sanitizer-$tool" compute-sanitizer --tool "$tool" --print-limit 20 "$java" "${flags[@]}" -jar "$jar" doctor
            done
        else
            echo "compute-sanitizer not on PATH" | tee "$logs/sanitizer.log"
        fi
        ;;
    bench)
        run bench-pytorch python3 bench/pytorch/bench_pytorch.py --out "$logs/bench"
        run bench "$java" "${flags[@]}" -jar "$jar" bench --device cuda --pytorch "$logs/bench/pytorch.json" --out "$logs/bench"
        [ -f "$logs/bench/results.md" ] && cp "$logs/bench/results.md" "$out/bench-results.md"
        ;;
    *)
        echo "gpu-validate: unknown phase '$phase' (info tests demo vgg16 sanitizer bench)" >&2
        exit 2
        ;;
    esac
done

{
    for f in "$logs"/*.log; do
        echo "==> $(basename "$f") <=="
        case $(basename "$f") in
            tests.log) grep -E '✘|■' "$f" | cut -c1-400 | head -40; grep -E 'tests (found|successful|failed|aborted|skipped)' "$f"; tail -n 1 "$f" ;;
            *) tail -n 25 "$f" ;;
        esac
        echo
    done
} > "$out/summary.txt"
tar czf "$out/gpu-logs.tgz" -C "$logs" .
cat "$out/summary.txt"
