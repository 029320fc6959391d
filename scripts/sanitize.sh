#!/usr/bin/env bash
# Builds the MLIR-free libraries (numerics, checkpoint readers, tokenizer,
# reference transformer, fitting) and their unit tests with clang-22 under
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs the unit tests:
# the code that reads untrusted files. Any report fails the run. (The CUDA
# driver runtime, a shared library the GPU host loads, is left out.)
#
#   scripts/sanitize.sh            (build dir: build-sanitize, or $SANITIZE_BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${SANITIZE_BUILD_DIR:-build-sanitize}"
jobs=${JOBS:-$(nproc)}
# libstdc++ 12's stable_sort uses get_temporary_buffer, which clang 22 flags
# as deprecated inside the system header.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
san="$san -Wno-deprecated-declarations"
if [ ! -f "$out/build.ninja" ]; then
  cmake -G Ninja -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=/usr/bin/clang-22 -DCMAKE_CXX_COMPILER=/usr/bin/clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DQUANT_OPT_LIBS_ONLY=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
fi
ninja -C "$out" -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
/usr/lib/llvm-22/bin/lit -sv "$out/test/unit"
