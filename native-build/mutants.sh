#!/usr/bin/env bash
# Mutation audit: plants each bug of native-build/mutants/*.patch, one at a time, in a
# fresh clone of HEAD, and runs ./sparsestep test there. A mutant is killed when the suite
# fails; it survives when the suite passes, which means a documented claim has no test
# that can fail. Patches that touch kernels/ get their PTX rebuilt (native-build/build.sh,
# needs nvcc), so a kernel bug is caught by a kernel test and not by PtxFreshnessTest.
#
#   native-build/mutants.sh                 every patch, the whole suite each
#   native-build/mutants.sh NAME.patch...   the named ones (paths or names under mutants/)
#   native-build/mutants.sh --named [...]   only the test classes each patch names after
#                                           "caught by" (minutes instead of hours; a named
#                                           test failing is the suite failing)
#
# Each patch is a `git diff` of main sources with one comment line before its header:
# "# <what the bug is>; caught by <tests>". The suite stops at its first failing test
# (surefire skipAfterFailureCount=1), so a killed mutant costs less than a full run; the
# table printed at the end names that test. Exit 0 when every mutant was killed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

named=0
if [[ ${1:-} == --named ]]; then named=1; shift; fi
patches=()
if [[ $# -eq 0 ]]; then
    patches=("$root"/native-build/mutants/*.patch)
else
    for p in "$@"; do
        if [[ -f $p ]]; then patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
        else patches+=("$root/native-build/mutants/$p"); fi
    done
fi

# one commit for the whole audit, even if HEAD moves while it runs
rev="$(git rev-parse HEAD)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
survivors=0
report="$work/report.txt"
printf '%-44s %-9s %s\n' "mutant" "result" "first failing test (or why)" > "$report"

for patch in "${patches[@]}"; do
    name="$(basename "$patch" .patch)"
    clone="$work/$name"
    git clone -q --no-hardlinks "$root" "$clone"
    git -C "$clone" checkout -q --detach "$rev"
    if ! git -C "$clone" apply "$patch"; then
        printf '%-44s %-9s %s\n' "$name" "ERROR" "patch does not apply to HEAD" >> "$report"
        survivors=$((survivors + 1))
        continue
    fi
    if git -C "$clone" diff --name-only | grep -q '^kernels/'; then
        if ! "$clone/native-build/build.sh" > "$clone/ptx.log" 2>&1; then
            printf '%-44s %-9s %s\n' "$name" "ERROR" "PTX rebuild failed (nvcc?): see ptx.log" >> "$report"
            survivors=$((survivors + 1))
            continue
        fi
    fi
    start=$(date +%s)
    selection=(-Dsurefire.skipAfterFailureCount=1)
    if ((named)); then
        # "caught by A, B (a note)" -> A,B
        tests="$(head -1 "$patch" | sed -n 's/.*caught by //p' | sed 's/([^)]*)//g; s/ and /,/g; s/[[:space:]]//g; s/,,*/,/g; s/,$//')"
        if [[ -z $tests ]]; then
            printf '%-44s %-9s %s\n' "$name" "ERROR" "no 'caught by' tests in its first line" >> "$report"
            survivors=$((survivors + 1))
            continue
        fi
        selection+=("-Dtest=$tests" -Dsurefire.failIfNoSpecifiedTests=false)
    fi
    if (cd "$clone" && ./sparsestep test -q "${selection[@]}" > "$clone/test.log" 2>&1); then
        result="SURVIVED"
        why="suite passed"
        survivors=$((survivors + 1))
    else
        result="killed"
        why="$(grep -l -E '<(failure|error)' "$clone"/*/target/surefire-reports/TEST-*.xml 2>/dev/null \
               | sed -E 's/.*TEST-io\.sparsestep\.//; s/\.xml$//' | head -3 | paste -sd, -)"
        [[ -n $why ]] || why="build failed before tests: $(grep -m1 -E 'ERROR' "$clone/test.log" | cut -c1-80)"
    fi
    printf '%-44s %-9s %s (%ss)\n' "$name" "$result" "$why" "$(( $(date +%s) - start ))" >> "$report"
    echo "$name: $result" >&2
    rm -rf "$clone"
done

echo
echo "mutation audit of ${rev:0:7}, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $( ((named)) && echo "named tests only" || echo "whole suite")"
cat "$report"
exit $(( survivors > 0 ))
