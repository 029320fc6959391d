#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: lit (passes, dialect,
# diagnostics, end-to-end numerics) and the GoogleTest unit suites, then both
# again with the whole project built under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
/usr/lib/llvm-22/bin/lit -sv --time-tests build/test build/test/unit
# Under ASan + UBSan: every unit test and every lit test but the whole-model
# runs and the largest PTX kernel sets, minutes each under the sanitizers,
# whose code the shorter tests run too (scripts/sanitize.sh alone runs all).
./scripts/sanitize.sh --filter-out \
  'Run/(kv-cache-packed|perplexity-anchor|perplexity|tiny-llama|packed-w4|linalg-import|deterministic-quantization)\.test|kernel-sets-(binary|pvq)\.test'

