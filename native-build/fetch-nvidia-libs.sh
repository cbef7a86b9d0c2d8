#!/usr/bin/env bash
# Fetches NVIDIA's real cuBLAS 12.6 and cuDNN 9.5 shared libraries (x86-64 Linux) for checks
# that need the libraries but no GPU: RealNvidiaLibrariesTest (loading, symbol binding,
# status names, cuDNN's descriptor arithmetic). They come from Maven Central, inside
# bytedeco's JavaCPP "redist" jar (2 GB; NVIDIA's libraries under NVIDIA's license), are
# checked against Central's SHA-1, and are unpacked in the Python-wheel layout the
# product searches (nvidia/cublas/lib, nvidia/cudnn/lib). Nothing is committed.
#
#   native-build/fetch-nvidia-libs.sh [DIR]     (default ~/.cache/sparsestep/nvidia-libs)
#   export SPARSESTEP_CUDA_LIBDIR=DIR/nvidia/cublas/lib:DIR/nvidia/cudnn/lib
#   ./sparsestep test        # RealNvidiaLibrariesTest now runs instead of skipping
set -euo pipefail

dir="${1:-$HOME/.cache/sparsestep/nvidia-libs}"
version=12.6-9.5-1.5.11
url="https://repo1.maven.org/maven2/org/bytedeco/cuda/$version/cuda-$version-linux-x86_64-redist.jar"
jar="$dir/cuda-$version-linux-x86_64-redist.jar"

if [[ "$(uname -m)" != x86_64 ]]; then
    echo "fetch-nvidia-libs: these libraries are x86-64 only; this machine is $(uname -m)" >&2
    exit 2
fi
mkdir -p "$dir"
expected=$(curl -fsS "$url.sha1") || { echo "fetch-nvidia-libs: cannot reach Maven Central ($url.sha1)" >&2; exit 2; }
expected=${expected:0:40}
if [[ ! -f "$jar" ]] || [[ "$(sha1sum "$jar" | cut -c1-40)" != "$expected" ]]; then
    echo "downloading $url (2 GB)"
    curl -fS --retry 3 -o "$jar.part" "$url" || { echo "fetch-nvidia-libs: download failed: $url" >&2; exit 2; }
    actual=$(sha1sum "$jar.part" | cut -c1-40)
    if [[ "$actual" != "$expected" ]]; then
        rm -f "$jar.part"
        echo "fetch-nvidia-libs: SHA-1 mismatch for $url (got $actual, Central says $expected)" >&2
        exit 2
    fi
    mv "$jar.part" "$jar"
fi

inside=org/bytedeco/cuda/linux-x86_64
for lib in cublas cudnn; do
    target="$dir/nvidia/$lib/lib"
    rm -rf "$target.tmp" && mkdir -p "$target.tmp"
    unzip -q -o -j "$jar" "$inside/lib$lib*" -d "$target.tmp"
    rm -rf "$target" && mv "$target.tmp" "$target"
done
ls -1 "$dir"/nvidia/*/lib
echo
echo "export SPARSESTEP_CUDA_LIBDIR=$dir/nvidia/cublas/lib:$dir/nvidia/cudnn/lib"
