//===- LQToLLVMCPU.h - the CPU lowering pipeline ----------------*- C++ -*-===//
//
// `lq-lower-to-cpu`: a model module (linalg on tensors, possibly holding lq
// ops) down to the LLVM dialect for the CPU, as named stages of upstream and
// lq passes. quant-opt runs it as one pipeline; quant-run runs the same
// stages one by one to time them and to report which one failed.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_LQTOLLVMCPU_LQTOLLVMCPU_H
#define LQ_CONVERSION_LQTOLLVMCPU_LQTOLLVMCPU_H

#include "lq/Conversion/LoweringStages.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::lq {

/// The int8 dot products packed W4A8 (4-bit codes, act(8)) runs on: none
/// (W4A8 is left for lq-expand), AVX2's vpmaddubsw + vpmaddwd, or
/// AVX512-VNNI's vpdpbusd. The code is compiled for one target, which must
/// have the instructions. Ordered: a host with one has the ones before it.
enum class Int8Dot { None, AVX2, AVX512VNNI };

/// The option value of `dot` (none, avx2, avx512-vnni).
inline llvm::StringRef int8DotName(Int8Dot dot) {
  return dot == Int8Dot::AVX2 ? "avx2" : dot == Int8Dot::AVX512VNNI ? "avx512-vnni" : "none";
}

/// The values of an Int8Dot command-line or pass option, named as int8DotName.
inline llvm::cl::ValuesClass int8DotValues() {
  return llvm::cl::values(
      clEnumValN(Int8Dot::None, "none", "W4A8 is left to lq-expand (decoded weights)"),
      clEnumValN(Int8Dot::AVX2, "avx2", "AVX2: vpmaddubsw, vpmaddwd"),
      clEnumValN(Int8Dot::AVX512VNNI, "avx512-vnni", "AVX512-VNNI: vpdpbusd"));
}

/// The module attribute where lq-cpu-external-weights (and lq-weight-table)
/// list the data of the globals they took out of the code (symbol name ->
/// elements), for the JIT (the library's loader) to bind.
inline constexpr llvm::StringLiteral kExternalWeightsAttrName = "lq.external_weights";

/// On the calls lq-cpu-packed-matmul makes: the names of the packed weight
/// operands after x, in order (docs/Layout.md), e.g. ["codes", "scales"].
inline constexpr llvm::StringLiteral kPackedPartsAttrName = "lq.packed_parts";

struct CPULoweringOptions {
  /// Tiled and vectorized kernels on packed weight panels (the default), or
  /// plain loops for every linalg op (slow: the cross-check of the fast one).
  bool vectorize = true;
  /// lq-expand: decode quantized weights at compile time with the numeric
  /// library (constant f32 weights) instead of emitting decoding IR.
  bool libraryDecode = true;
  /// Fast strategy: 4-bit uniform lq.matmul runs on its packed codes
  /// (lq-cpu-packed-matmul, before lq-expand) instead of decoded weights:
  /// 3x the decode speed of decoded weights, the same prefill speed.
  bool packed = true;
  /// The int8 dot products of packed W4A8 (4-bit codes, act(8)); with none,
  /// W4A8 goes to lq-expand.
  Int8Dot int8Dot = Int8Dot::None;
  /// Large constants become external globals for the runner to bind
  /// (lq-cpu-external-weights): the weights never pass through LLVM.
  bool externalWeights = false;
  /// lq-cpu-packed-matmul frees each weight's data once packed
  /// (release-sources): only for a context that holds no other module.
  bool releasePackedSources = false;
  /// Repeated layers become one function called per layer
  /// (lq-cpu-outline-layers): LLVM compiles one layer, not all of them.
  bool outlineLayers = true;
  /// Parallel loops (the packed kernels' panels) run on OpenMP threads;
  /// the code then calls the OpenMP runtime (libomp).
  bool threads = false;
  /// Packed kernels of at least this many weights (N x K) run their panels
  /// in parallel; in smaller ones a thread costs more than it saves.
  int64_t parallelMinWeights = 1 << 20;
  /// Register tile of contractions (rows x columns x reduction step); tileN
  /// is also the panel width of packed weights and the vector width of
  /// element-wise ops. Each in [1, 64].
  int64_t tileM = 4, tileN = 16, tileK = 8;
};

/// The stages in order: packed (vectorize and packed only), lq-expand, pack
/// (vectorize only), outline (outlineLayers only), bufferize, dealloc, clones,
/// vectorize (vectorize only),
/// loops, external (externalWeights only), to-llvm.
SmallVector<LoweringStage> getCPULoweringStages(const CPULoweringOptions &options);

/// Adds every stage to `pm` (a module pass manager); fails with a message
/// on `errs` when an option is out of range or a pass is not registered.
LogicalResult buildCPULoweringPipeline(OpPassManager &pm, const CPULoweringOptions &options,
                                       raw_ostream &errs);

/// Registers the `lq-lower-to-cpu` pipeline.
void registerCPULoweringPipeline();

} // namespace mlir::lq

#endif // LQ_CONVERSION_LQTOLLVMCPU_LQTOLLVMCPU_H
