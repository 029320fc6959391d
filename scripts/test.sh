#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: lit (passes, dialect,
# diagnostics, end-to-end numerics) and the GoogleTest unit suites, then the
# unit suites again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
/usr/lib/llvm-22/bin/lit -sv --time-tests build/test build/test/unit
# The MLIR-free libraries (the readers of untrusted files) under ASan + UBSan.
./scripts/sanitize.sh
