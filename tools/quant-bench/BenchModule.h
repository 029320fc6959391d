//===- BenchModule.h - Benchmark kernel kinds and lq modules ----*- C++ -*-===//
//
// Shared by the compile-side benchmark tools (quant-bench-compile for the GPU,
// quant-bench-cpu): the kernel kind names of --kernels, the seeded weight of
// a kind and shape (BenchData.h), and the `lq` module that multiplies by it
// (an lq.constant holding the weight, one lq.matmul per batch size). Needs
// MLIR, unlike BenchData.h, which the GPU runner compiles without it.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT_BENCH_BENCHMODULE_H
#define QUANT_BENCH_BENCHMODULE_H

#include "BenchData.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Numerics/Encoding.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <variant>

namespace quant_bench {

/// A --kernels entry: the weight encoding, and activation bits (0: f32).
struct Kind {
  std::string name;
  ::lq::Encoding enc;
  int64_t actBits = 0;
};

/// The kinds --kernels names: w4g128 (4-bit, group 128; any group), w4pc
/// (per-channel, group = `cols`), w4g128a (asymmetric), w4a8g128 / w4a8pc
/// (W4A8),
/// b<P>g<G> (GPTQT binary codes), pvq<D>k<P>a<A>g<G> (PVQ).
inline std::optional<Kind> parseKind(llvm::StringRef name, int64_t cols) {
  if (name == "w4pc")
    return Kind{name.str(), ::lq::UniformEncoding{4, cols, true}};
  if (name == "w4a8pc")
    return Kind{name.str(), ::lq::UniformEncoding{4, cols, true}, 8};
  // w4g<G>[a], w4a8g<G>: any group size.
  for (llvm::StringRef prefix : {"w4a8g", "w4g"}) {
    llvm::StringRef rest = name;
    if (!rest.consume_front(prefix))
      continue;
    bool asymmetric = prefix == "w4g" && rest.consume_back("a");
    int64_t group;
    if (rest.getAsInteger(10, group) || group < 1)
      return std::nullopt;
    return Kind{name.str(), ::lq::UniformEncoding{4, group, !asymmetric},
                prefix == "w4a8g" ? 8 : 0};
  }
  if (llvm::StringRef rest = name; rest.consume_front("pvq")) {
    int64_t d, p, a, g;
    auto [ds, r1] = rest.split('k');
    auto [ps, r2] = r1.split('a');
    auto [as, gs] = r2.split('g');
    if (!ds.getAsInteger(10, d) && !ps.getAsInteger(10, p) && !as.getAsInteger(10, a) &&
        !gs.getAsInteger(10, g))
      return Kind{name.str(), ::lq::PVQEncoding{d, p, (unsigned)a, g}};
    return std::nullopt;
  }
  unsigned planes;
  int64_t group;
  llvm::StringRef rest = name;
  if (rest.consume_front("b")) {
    auto [p, g] = rest.split('g');
    if (!p.getAsInteger(10, planes) && !g.getAsInteger(10, group))
      return Kind{name.str(), ::lq::BinaryEncoding{planes, group}};
  }
  return std::nullopt;
}

/// The seed of a shape and kind: both sides of the GPU benchmark (and any
/// rerun) regenerate the same weight from it.
inline uint64_t weightSeed(int64_t rows, int64_t cols, const Kind &kind) {
  return llvm::hash_combine(rows, cols, kind.name);
}

/// The seeded random weight of `kind` (an encoding verifyEncoding accepts).
inline ::lq::EncodedWeight makeWeight(const Kind &kind, int64_t rows, int64_t cols,
                                      uint64_t seed) {
  if (auto *u = std::get_if<::lq::UniformEncoding>(&kind.enc))
    return makeUniformWeight(*u, rows, cols, seed);
  if (auto *p = std::get_if<::lq::PVQEncoding>(&kind.enc))
    return makePVQWeight(*p, rows, cols, seed);
  return makeBinaryWeight(std::get<::lq::BinaryEncoding>(kind.enc), rows, cols, seed);
}

/// `func @<funcName>(%x_b: tensor<b x K x f16 or f32>, ...) -> tensor<b x N x f32>...`
/// with one lq.matmul per batch size b, all on one lq.constant holding `w`
/// (so it is packed once); f16 inputs are widened with arith.extf.
inline mlir::OwningOpRef<mlir::ModuleOp>
buildMatmulModule(mlir::MLIRContext &ctx, const Kind &kind, int64_t rows, int64_t cols,
                  llvm::ArrayRef<int64_t> batches, const ::lq::EncodedWeight &w,
                  llvm::StringRef funcName, bool f32Input) {
  using namespace mlir;
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  SmallVector<Type> inputs, results;
  for (int64_t m : batches) {
    inputs.push_back(RankedTensorType::get({m, cols}, f32Input ? f32 : f16));
    results.push_back(RankedTensorType::get({m, rows}, f32));
  }
  auto func = func::FuncOp::create(b, loc, funcName, b.getFunctionType(inputs, results));
  b.setInsertionPointToStart(func.addEntryBlock());
  auto encAttr = mlir::lq::getEncodingAttr(&ctx, kind.enc, [&] { return emitError(loc); });
  auto type = mlir::lq::WeightType::get(&ctx, rows, cols, encAttr);
  ElementsAttr codes, scales, zeros, amplitudes, offsets;
  if (auto *u = std::get_if<::lq::UniformEncoding>(&kind.enc)) {
    int64_t groups = cols / u->group;
    codes = mlir::lq::makeResource(RankedTensorType::get({rows, cols / 2}, b.getI8Type()), "codes",
                                   ArrayRef<uint8_t>(w.codes));
    scales = mlir::lq::makeResource(RankedTensorType::get({rows, groups}, f16), "scales",
                                    ArrayRef<uint16_t>(w.scales));
    if (!u->symmetric)
      zeros = mlir::lq::makeResource(RankedTensorType::get({rows, groups}, b.getI8Type()),
                                     "zeros", ArrayRef<uint8_t>(w.zeroPoints));
  } else if (auto *p = std::get_if<::lq::PVQEncoding>(&kind.enc)) {
    unsigned bits = llvm::cantFail(::lq::pvqIndexBits(p->dim, p->pulses));
    codes = mlir::lq::makeResource(
        RankedTensorType::get({rows, ::lq::packedBytes(cols / p->dim, bits)}, b.getI8Type()),
        "codes", ArrayRef<uint8_t>(w.codes));
    scales = mlir::lq::makeResource(RankedTensorType::get({rows, 1}, f16), "scales",
                                    ArrayRef<uint16_t>(w.scales));
    amplitudes = mlir::lq::makeResource(
        RankedTensorType::get({rows, ::lq::packedBytes(cols / p->ampGroup, p->ampBits)},
                              b.getI8Type()),
        "amplitudes", ArrayRef<uint8_t>(w.amplitudes));
  } else {
    const auto &bin = std::get<::lq::BinaryEncoding>(kind.enc);
    int64_t groups = cols / bin.group, planes = bin.planes;
    codes = mlir::lq::makeResource(
        RankedTensorType::get({planes, rows, (cols + 7) / 8}, b.getI8Type()), "codes",
        ArrayRef<uint8_t>(w.codes));
    scales = mlir::lq::makeResource(RankedTensorType::get({rows, groups, planes}, f16), "scales",
                                    ArrayRef<uint16_t>(w.scales));
    offsets = mlir::lq::makeResource(RankedTensorType::get({rows, groups}, f16), "offsets",
                                     ArrayRef<uint16_t>(w.offsets));
  }
  Value weight =
      mlir::lq::ConstantOp::create(b, loc, type, codes, scales, zeros, amplitudes, offsets);
  SmallVector<Value> ys;
  for (auto [i, m] : llvm::enumerate(batches)) {
    Value x = func.getArgument(i);
    if (!f32Input)
      x = arith::ExtFOp::create(b, loc, RankedTensorType::get({m, cols}, f32), x);
    ys.push_back(mlir::lq::MatmulOp::create(
        b, loc, results[i], x, weight,
        kind.actBits ? b.getI64IntegerAttr(kind.actBits) : IntegerAttr(), FloatAttr()));
  }
  func::ReturnOp::create(b, loc, ys);
  return module;
}

/// A comma-separated list of positive integers (--batches).
inline llvm::Expected<llvm::SmallVector<int64_t>> parsePositiveList(llvm::StringRef s,
                                                                    llvm::StringRef what) {
  llvm::SmallVector<int64_t> out;
  llvm::SmallVector<llvm::StringRef> parts;
  s.split(parts, ',', -1, false);
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (p.trim().getAsInteger(10, v) || v < 1)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "bad " + what + " '" + p + "' (expected a positive integer)");
    out.push_back(v);
  }
  if (out.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "no " + what + " given");
  return out;
}

/// A weight shape `NxK` (output rows x reduction); false if malformed. Sizes
/// are checked later, by verifyEncoding, with its messages.
inline bool parseShape(llvm::StringRef shape, int64_t &rows, int64_t &cols) {
  auto [n, k] = shape.split('x');
  return !n.getAsInteger(10, rows) && !k.getAsInteger(10, cols);
}

} // namespace quant_bench

#endif // QUANT_BENCH_BENCHMODULE_H
