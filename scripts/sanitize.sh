#!/usr/bin/env bash
# Builds the whole project with clang-22 under AddressSanitizer and
# UndefinedBehaviorSanitizer (build-sanitize) and runs the unit tests and the
# lit suite with those tools: every reader of untrusted input (checkpoints,
# tokenizers, modules, options) and every pass, instrumented. Any report
# fails the run. Debian's libMLIR and libLLVM are not instrumented; the code
# of this project is. (The CUDA driver runtime, which only the GPU host
# loads, is left out.)
#
#   scripts/sanitize.sh [LIT ARGS...]    (build dir: build-sanitize, or $SANITIZE_BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${SANITIZE_BUILD_DIR:-build-sanitize}"
jobs=${JOBS:-$(nproc)}
# -O1 with line tables: reports name file and line, and the build stays quick.
# libstdc++ 12's stable_sort uses get_temporary_buffer, which clang 22 flags
# as deprecated inside the system header.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
san="$san -O1 -gline-tables-only -Wno-deprecated-declarations"
if [ ! -f "$out/build.ninja" ]; then
  cmake -G Ninja -S . -B "$out" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER=/usr/bin/clang-22 -DCMAKE_CXX_COMPILER=/usr/bin/clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    ${CMAKE_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_LAUNCHER}
fi
ninja -C "$out" -j "$jobs"
# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs in the
# instrumented code, while the uninstrumented libMLIR allocates from the same
# slabs (a context's uniquer) without unpoisoning them, which ASan would
# report. lit passes ASAN_OPTIONS and UBSAN_OPTIONS through to the tests.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
/usr/lib/llvm-22/bin/lit -sv --time-tests "$@" "$out/test" "$out/test/unit"
