#!/usr/bin/env bash
# Installs the build and test dependencies from Debian 12 packages (LLVM/MLIR 22 from apt.llvm.org's
# Debian packages when the distribution does not carry them yet).
set -euo pipefail
pkgs=(cmake ninja-build g++ python3 libgtest-dev libpcre2-dev libopenblas-dev libdnnl-dev
      llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libclang-rt-22-dev libomp-22-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show llvm-22-dev >/dev/null 2>&1; then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q "${missing[@]}"
