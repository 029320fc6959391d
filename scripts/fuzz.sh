#!/usr/bin/env bash
# Builds the LQModel reader fuzzers with clang-22 (libFuzzer + ASan + UBSan)
# and runs each for N seconds (default 10) from its seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: safetensors config
#                                             tokenizer encode llama2c gguf
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CLANGXX, LLVM_PREFIX.
# New inputs go to $FUZZ_BUILD_DIR/corpus/<target>, never to the seeds in
# test/fuzz/corpus. Exits non-zero when a fuzzer finds a crash.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(safetensors config tokenizer encode llama2c gguf)
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  # libFuzzer reads -max_total_time=0 as "no limit".
  echo "fuzz.sh: SECONDS must be a positive integer" >&2
  exit 2
fi
cxx="${CLANGXX:-/usr/bin/clang++-22}"
llvm="${LLVM_PREFIX:-/usr/lib/llvm-22}"
out="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
mkdir -p "$out/obj"

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -Wno-deprecated-declarations
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -I"$root/include" -isystem "$llvm/include"
       -D_GNU_SOURCE -D__STDC_CONSTANT_MACROS -D__STDC_FORMAT_MACROS
       -D__STDC_LIMIT_MACROS)
libs=(-L"$llvm/lib" -Wl,-rpath,"$llvm/lib" -lLLVM -lpcre2-8)

# The reader sources (no transformer), compiled once for all targets.
objs=()
for src in Llama HFReader Llama2c GGUF Tokenizer; do
  obj="$out/obj/$src.o"
  if [ ! -f "$obj" ] || [ "$root/lib/Model/$src.cpp" -nt "$obj" ] ||
     [ -n "$(find "$root/include/lq/Model" "$root/lib/Model" -name '*.h' -newer "$obj")" ]; then
    echo "fuzz.sh: compiling $src.cpp"
    "$cxx" "${flags[@]}" -c "$root/lib/Model/$src.cpp" -o "$obj"
  fi
  objs+=("$obj")
done

declare -A source=([safetensors]=FuzzSafetensors [config]=FuzzConfig
                   [tokenizer]=FuzzTokenizer [encode]=FuzzEncode
                   [llama2c]=FuzzLlama2c [gguf]=FuzzGGUF)
status=0
for t in "${targets[@]}"; do
  src="${source[$t]:-}"
  if [ -z "$src" ]; then
    echo "fuzz.sh: unknown target '$t'" >&2
    exit 2
  fi
  bin="$out/fuzz-$t"
  echo "fuzz.sh: building $bin"
  "$cxx" "${flags[@]}" -fsanitize=fuzzer \
    -DLQ_FUZZ_TOKENIZER="\"$root/test/data/llama-docs-2m/tokenizer.json\"" \
    "$root/test/fuzz/$src.cpp" \
    "${objs[@]}" "${libs[@]}" -o "$bin"
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  echo "fuzz.sh: running $t for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$out/artifacts/$t/" \
       "$out/corpus/$t" "$root/test/fuzz/corpus/$t" \
       > "$out/fuzz-$t.log" 2>&1; then
    echo "fuzz.sh: $t FAILED; see $out/fuzz-$t.log and $out/artifacts/$t/" >&2
    tail -40 "$out/fuzz-$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$out/fuzz-$t.log" | tail -2
  fi
done
exit $status
