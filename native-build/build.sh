#!/usr/bin/env bash
# Builds kernels/*.cu to the committed PTX resources, or checks that they are fresh.
#
#   native-build/build.sh           rebuild sparsestep-core/src/main/resources/io/sparsestep/kernels/<name>.ptx
#   native-build/build.sh --check   rebuild into a temp dir and compare with the committed PTX
#   NVCC=/path/to/nvcc PTXAS=/path/to/ptxas native-build/build.sh   use that toolkit
#
# Exit status: 0 built / fresh; 1 failure (stale PTX, compile error, register spill,
# contraction in optim); 2 usage; 3 (--check only) the sources match the hashes recorded in
# the committed PTX, but the bytes could not be compared: no nvcc here, or another nvcc
# release than the one that wrote the PTX. See native-build/README.md.
set -euo pipefail

FLAGS=(-ptx -arch=compute_75 -O3)
PTXAS_ARCHS=(sm_75 sm_90)
# The PTX ISA version the committed PTX declares. nvcc 13 writes 9.0, which only drivers of
# the 580 series (CUDA 13) can JIT; 8.0 is what every CUDA 12 driver (R525+) reads, and the
# cuBLAS 12 / cuDNN for CUDA 12 that sparsestep accepts need such a driver anyway. The
# kernels use nothing newer, and ptxas below proves it: it rejects any instruction the
# declared version does not have ("requires PTX ISA .version X or later").
PTX_ISA=8.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kernels="$root/kernels"
resources="$root/sparsestep-core/src/main/resources/io/sparsestep/kernels"

mode=build
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) echo "usage: native-build/build.sh [--check]" >&2; exit 2 ;;
esac

# $1 = nvcc | ptxas. $NVCC / $PTXAS override (a path; one that does not exist means "absent"),
# else PATH, else the default toolkit location.
find_tool() {
    local override="${1^^}"
    if [[ -n "${!override:-}" ]]; then [[ -x "${!override}" ]] && echo "${!override}"; return; fi
    if command -v "$1" >/dev/null 2>&1; then command -v "$1"
    elif [[ -x "/usr/local/cuda/bin/$1" ]]; then echo "/usr/local/cuda/bin/$1"
    else return 1; fi
}

# Hash of what a PTX is built from: the .cu, then every kernels/*.cuh in byte order of
# name (the .cu files include common.cuh). PtxFreshnessTest recomputes it in Java, so it
# catches stale PTX on machines without nvcc too.
source_hash() {  # $1 = kernel name
    (cd "$kernels" && export LC_ALL=C && shopt -s nullglob && headers=(*.cuh) \
        && cat "$1.cu" "${headers[@]}" | sha256sum | cut -d' ' -f1)
}

# The nvcc release line nvcc writes into its PTX header, e.g.
# "// Cuda compilation tools, release 13.0, V13.0.88".
release_line() { grep -m1 '^// Cuda compilation tools' "$1" || true; }

shopt -s nullglob
sources=("$kernels"/*.cu)
if ((${#sources[@]} == 0)); then echo "build.sh: no kernels/*.cu found under $root" >&2; exit 1; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! nvcc="$(find_tool nvcc)"; then
    if [[ $mode == check ]]; then
        # Without a compiler only the source hashes can be compared.
        status=0
        for cu in "${sources[@]}"; do
            name="$(basename "$cu" .cu)"
            committed="$resources/$name.ptx"
            if ! grep -qx "// source-sha256: $(source_hash "$name")" "$committed" 2>/dev/null; then
                echo "STALE $name.ptx: kernels/$name.cu or kernels/*.cuh changed since it was built; run native-build/build.sh" >&2
                status=1
            fi
        done
        ((status == 0)) && echo "no nvcc: source hashes match; PTX bytes not rebuilt" && exit 3
        exit "$status"
    fi
    echo "build.sh: nvcc not found on PATH or in /usr/local/cuda/bin; install the CUDA toolkit (12.x or 13.x)" >&2
    exit 1
fi
if [[ -z "${PTXAS:-}" && -x "$(dirname "$nvcc")/ptxas" ]]; then PTXAS="$(dirname "$nvcc")/ptxas"; fi
ptxas="$(find_tool ptxas)" || { echo "build.sh: ptxas not found next to nvcc; install the full CUDA toolkit" >&2; exit 1; }

status=0
for cu in "${sources[@]}"; do
    name="$(basename "$cu" .cu)"
    raw="$tmp/$name.raw.ptx"
    out="$tmp/$name.ptx"

    # Compile from inside kernels/ with a relative name so no absolute path can reach the output.
    (cd "$kernels" && "$nvcc" "${FLAGS[@]}" -o "$raw" "$name.cu")
    {
        echo "// sparsestep PTX for kernels/$name.cu, written by native-build/build.sh; do not edit."
        echo "// nvcc flags: ${FLAGS[*]}; .version set to $PTX_ISA (CUDA 12.0+ drivers), checked by ptxas"
        echo "// source-sha256: $(source_hash "$name")"
        sed -E "s/^\.version [0-9]+\.[0-9]+\s*$/.version $PTX_ISA/" "$raw"
    } >"$out"
    if ! grep -qx "\.version $PTX_ISA" "$out"; then
        echo "build.sh: $name.ptx has no '.version' line to set to $PTX_ISA (nvcc output changed?)" >&2
        status=1
    fi

    # Register and spill report for the GPUs the PTX is JIT-compiled for. A spill means
    # local-memory traffic inside a kernel whose whole budget is HBM bandwidth: fail.
    for arch in "${PTXAS_ARCHS[@]}"; do
        if ! report="$("$ptxas" -arch="$arch" -v "$out" -o "$tmp/$name.$arch.cubin" 2>&1)"; then
            echo "build.sh: ptxas rejects $name.ptx for $arch (at PTX ISA $PTX_ISA?):" >&2
            echo "$report" >&2
            status=1
            continue
        fi
        spilled=0
        echo "$report" | grep -Eq '[1-9][0-9]* bytes spill (stores|loads)' && spilled=1
        if [[ $mode == build || $spilled == 1 ]]; then  # --check stays quiet unless something is wrong
            echo "== $name.ptx on $arch"
            echo "$report" | grep -E "Compiling entry|spill|Used" | sed -e 's/^ptxas info *: //' -e 's/^ *//'
        fi
        if ((spilled)); then
            echo "SPILL in $name.ptx on $arch: reduce register pressure before committing" >&2
            status=1
        fi
    done

    # A kernel file whose first lines say "// sparsestep: bitwise" (optim.cu, vector.cu,
    # mask.cu) promises bit-equality with its Java twins: only explicitly rounded
    # mul.rn/add.rn/sub.rn, which neither nvcc nor ptxas may fuse into an fma.
    if head -5 "$cu" | grep -qx '// sparsestep: bitwise'; then
        if grep -Eq '(^|[[:space:]])(fma\.|(mul|add|sub)(\.ftz)?(\.sat)?\.f32)' "$out"; then
            echo "CONTRACTION in $name.ptx: an fma or an unrounded f32 mul/add/sub; use __fmul_rn/__fadd_rn/__fsub_rn" >&2
            grep -En '(^|[[:space:]])(fma\.|(mul|add|sub)(\.ftz)?(\.sat)?\.f32)' "$out" | head -5 >&2
            status=1
        fi
    fi

    committed="$resources/$name.ptx"
    if [[ $mode == build ]]; then
        mkdir -p "$resources"
        cp "$out" "$committed"
        echo "wrote ${committed#"$root"/}"
    elif cmp -s "$out" "$committed"; then
        echo "fresh ${committed#"$root"/}"
    elif [[ -f $committed && "$(release_line "$out")" != "$(release_line "$committed")" ]]; then
        if grep -qx "// source-sha256: $(source_hash "$name")" "$committed"; then
            echo "$name.ptx: sources match, but it was built by '$(release_line "$committed")', this is '$(release_line "$out")'; bytes not comparable"
            ((status == 0)) && status=3
        else
            echo "STALE $name.ptx: sources changed since it was built; run native-build/build.sh" >&2
            status=1
        fi
    else
        echo "STALE ${committed#"$root"/}: differs from a fresh build; run native-build/build.sh" >&2
        diff "$committed" "$out" | head -20 >&2 || true
        status=1
    fi
done

# Kernel files that were deleted must not leave PTX behind.
for ptx in "$resources"/*.ptx; do
    name="$(basename "$ptx" .ptx)"
    if [[ ! -f "$kernels/$name.cu" ]]; then
        echo "ORPHAN ${ptx#"$root"/}: no kernels/$name.cu; delete it" >&2
        status=1
    fi
done
exit "$status"
