#!/usr/bin/env bash
# Builds the fuzz targets with clang-22 (libFuzzer + ASan + UBSan, the whole
# project instrumented; build-fuzz) and runs each from its seed corpus, for
# SECONDS (default 10) or for N executions.
#
#   scripts/fuzz.sh [SECONDS | -runs=N] [TARGET...]
#       targets: safetensors config tokenizer encode llama2c gguf module bundle
#
# `module` reads lq modules as quant-opt does (resource blobs checked, text or
# bytecode parsed and verified), round-trips them through text and bytecode,
# and runs lq-expand and lq-lower-to-nvptx on them (test/fuzz/FuzzModule.cpp).
# `bundle` feeds weights files to the bundle runtime (test/fuzz/FuzzBundle.cpp).
# Environment: FUZZ_BUILD_DIR (default build-fuzz), JOBS, FUZZ_MAX_LEN (the
# largest input, default 8192 bytes), FUZZ_FLAGS (more libFuzzer flags). New inputs go to $FUZZ_BUILD_DIR/corpus/<target>, never
# to the seeds in test/fuzz/corpus. Exits non-zero when a fuzzer finds a
# crash, a leak, undefined behaviour or a violated invariant.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
limit="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(safetensors config tokenizer encode llama2c gguf module bundle)
if [[ "$limit" =~ ^-runs=([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
  stop=("$limit")
elif [[ "$limit" =~ ^[0-9]+$ ]] && [ "$limit" -gt 0 ]; then
  # libFuzzer reads -max_total_time=0 as "no limit".
  stop=(-max_total_time="$limit")
else
  echo "fuzz.sh: the first argument is SECONDS or -runs=N, a positive integer; got '$limit'" >&2
  exit 2
fi
for t in "${targets[@]}"; do
  case "$t" in
    safetensors|config|tokenizer|encode|llama2c|gguf|module|bundle) ;;
    *) echo "fuzz.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
done

out="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
san="$san -fno-omit-frame-pointer -Wno-deprecated-declarations"
if [ ! -f "$out/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=/usr/bin/clang-22 -DCMAKE_CXX_COMPILER=/usr/bin/clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DQUANT_OPT_FUZZ=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" > "$out.cmake.log" ||
    { cat "$out.cmake.log" >&2; exit 1; }
fi
ninja -C "$out" -j "${JOBS:-$(nproc)}" "${targets[@]/#/fuzz-}"

status=0
for t in "${targets[@]}"; do
  bin="$out/test/fuzz/fuzz-$t"
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  extra=()
  [ -f "$root/test/fuzz/$t.dict" ] && extra=(-dict="$root/test/fuzz/$t.dict")
  # The module target keeps its MLIR contexts across inputs (what a context
  # uniques outlives the input), so libFuzzer's per-input leak check would
  # flag every input and scan the heap each time; leaks are still checked
  # when the run ends.
  [ "$t" = module ] && extra+=(-detect_leaks=0)
  echo "fuzz.sh: running $t (${stop[*]})"
  start=$(date +%s)
  # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs in the
  # instrumented code, while Debian's uninstrumented libMLIR allocates from
  # the same slabs without unpoisoning them, which ASan would report.
  # shellcheck disable=SC2086
  if ! ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0 "$bin" "${stop[@]}" -timeout=10 -rss_limit_mb=2048 \
       -max_len="${FUZZ_MAX_LEN:-8192}" -print_final_stats=1 "${extra[@]}" ${FUZZ_FLAGS:-} \
       -artifact_prefix="$out/artifacts/$t/" \
       "$out/corpus/$t" "$root/test/fuzz/corpus/$t" \
       > "$out/fuzz-$t.log" 2>&1; then
    echo "fuzz.sh: $t FAILED; see $out/fuzz-$t.log and $out/artifacts/$t/" >&2
    tail -40 "$out/fuzz-$t.log" >&2
    status=1
  else
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz-$t.log")
    echo "fuzz.sh: $t: $runs executions in $(( $(date +%s) - start )) s, no crash;" \
      "$(grep -E '^#[0-9]+.*cov:' "$out/fuzz-$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9/a-zA-Z]+')"
  fi
done
exit $status
