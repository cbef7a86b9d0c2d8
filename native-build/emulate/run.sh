#!/usr/bin/env bash
# Checks the logic of kernels/*.cu on the CPU (no GPU, no CUDA toolkit): compiles them with
# the host shim under AddressSanitizer and UBSan and runs them against plain references.
# Run after editing a kernel, before native-build/build.sh. Needs g++ 12 or newer.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${CXX:-g++}" -std=c++20 -O1 -g -pthread -ffp-contract=off -fno-fast-math \
    -fsanitize=address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Wno-unused-parameter \
    -x c++ "$here/kernel_logic_check.cpp" -o "$tmp/kernel_logic_check"
"$tmp/kernel_logic_check"
