//===- PackedMatmul.cpp - lq-cpu-packed-matmul ----------------------------===//
//
// `lq.matmul` of a 2-, 3-, 4- or 8-bit uniform, a binary-code or a PVQ
// `lq.constant` becomes a loop nest of vector ops that reads the codes
// where they lie and dequantizes them inside the dot products, so the
// weight stays packed in memory (b/8 bytes per weight instead of four) and
// is never decoded to f32 as a whole.
//
// Layout. Codes are re-packed at compile time into panels of 16 output rows
// (the AVX-512 f32 vector width) and split into bit planes whose fields
// divide a byte: 2 -> {2}, 3 -> {2, 1} (code = lo2 | hi1 << 2), 4 -> {4},
// 8 -> {8}. Byte [b, i, j] of a plane of width w holds its fields of row
// 16*b + j at k = (8/w)*i .. (8/w)*i + 8/w - 1, lowest k in the lowest bits,
// so one 16-byte load yields 8/w consecutive k of 16 rows. A decode unit
// is the k one byte of the narrowest plane covers (1, 2, 4 or 8); a unit
// must not straddle groups (it is decoded against one zero point), so other
// group sizes are left to lq-expand. Scales (widened to f32) and zero
// points are laid out per panel and group, one vector of 16 each. Rows
// past N are zero and never stored.
//
// Kernel. Output columns are vectors of 16 (one panel); each row of x is
// broadcast element by element. Within a group, the integer codes minus the
// zero point (2^(b-1) when symmetric) are converted to f32 and multiplied
// by x into accumulators; the group's scale is applied once, at the end of
// the group, to their sum:
// y[m, n] += s[n, g] * sum_{k in g} x[m, k] * (q[n, k] - z[n, g]).
// Single-plane codes skip the shift and the conversion: a field masked in
// place and or-ed into the mantissa of 2^23 is exactly 2^23 + q * 2^shift
// as f32; minus 2^23 + z * 2^shift it is (q - z) * 2^shift, and x comes
// pre-scaled by 2^-shift (PackedKernel.cpp, magicDecode).
// Rows of x are taken four at a time, so the decoded codes feed four FMAs
// each; a single row (decode) uses four accumulators over successive k
// instead, to hide the FMA latency. From tiled-min-batch rows on (prefill)
// they are taken eight at a time, and binary codes are dequantized per
// group into an f32 tile that blocks of 8 rows of x (packed) read.
//
// Binary codes (GPTQT: w = offset + sum_t alpha_t * b_t, b = +-1) differ
// only in the decode step. Their sign bits are re-packed per panel, 8 k and
// plane, a byte per row, so one 16-byte load gives two 4-bit indices of 16
// rows (k 0..3 and 4..7). Before the panels, per row of x, each 4 k's 16
// signed sums (the table) and each group's sum of x are computed once; a
// step looks the rows' indices up in x's table (a variable permute) and adds
// them to the plane's accumulator, and the group applies the alphas and
// offset: y += sum_t alpha_t * acc_t + offset * sum_{k in g} x[k]. Per 4 k
// and plane that is one permute and one add where the direct form (a mask
// of the sign bits selecting acc + x) takes four masked adds and four mask
// loads; the table is the faster at every batch (Passes.td).
//
// PVQ (`#lq.pvq`: a group of D weights is amp * y / ||y||, y the codeword
// of its index) differs in the decode step too (PackedPVQ.cpp): the index
// and amplitude-code streams stay bit-packed, 16 rows a vector of i32
// words; a unit of 4 groups is decoded in registers (the enumeration walked
// by binary searches of a table of block starts) or, where the codebook is
// small enough, partly or wholly by a gather from a table of codewords, and
// each k comes out scaled by its group's amp / ||y||, so the kernel's group
// is the whole row.
//
// W4A8 (`act(8)`, 4-bit codes, `int8-dot`). x is quantized per token to int8
// once per call, before the panels (as lq-expand: s_x = max|x_row| / 127,
// round half to even), and the dot products run on integers with AVX512-
// VNNI's vpdpbusd (u8 x s8 summed over 4 consecutive k into s32 lanes; on
// AVX2 vpmaddubsw then vpmaddwd by ones, the same sums): the
// unsigned codes are the u8 operand, the int8 activations the s8 one. The
// zero point (8 when symmetric) enters once per group through the row's
// code sum: y[m, n] = s_x[m] * sum_g s[n, g] *
// (sum_{k in g} q[n, k] x_q[m, k] - z[n, g] * sum_{k in g} x_q[m, k]).
// Groups are padded to a multiple of 8 k (zero activations), so any group
// size and K fit. Layout: codes [panels, units, 64] i8, where unit u is 8
// (padded) k and its 64 bytes are 16 i32 lanes (rows), byte t of lane j
// holding q[16b + j, 8u + t] in the low and q[16b + j, 8u + 4 + t] in the
// high nibble; one 64-byte load, a mask and a shift give the two u8
// operands of 4 k each, whose s8 partners are the 4 int8 of x at 8u and
// 8u + 4, broadcast as an i32.
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Conversion/Passes.h"
#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Numerics/PVQ.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUPACKEDMATMUL
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

/// Why `op` is left for lq-expand, or nullopt when the kernel handles it.
/// `int8Dot`: the target's int8 dot products (W4A8 needs some).
/// `pvqTableEntries`, `pvqRegisters`: which PVQ codebooks are packed.
static std::optional<std::string> unsupported(MatmulOp op, Int8Dot int8Dot, int64_t pvqTableEntries,
                                              bool pvqRegisters) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  if (!constant)
    return "the weight is not an lq.constant";
  WeightType type = op.getWeight().getType();
  ::lq::Encoding enc = type.getEncoding().getNumericEncoding();
  auto *u = std::get_if<::lq::UniformEncoding>(&enc);
  auto *bin = std::get_if<::lq::BinaryEncoding>(&enc);
  auto *pvq = std::get_if<::lq::PVQEncoding>(&enc);
  if (!u && !bin && !pvq)
    return "the encoding is neither binary, PVQ nor uniform";
  // PVQ indices and block starts live in i32 lanes; a group's D decoded
  // vectors must stay in registers.
  if (pvq) {
    unsigned indexBits = llvm::cantFail(::lq::pvqIndexBits(pvq->dim, pvq->pulses));
    if (indexBits > 31)
      return llvm::formatv("PVQ indices of {0} bits do not fit an i32 lane", indexBits).str();
    if (pvq->dim > kMaxPVQDim)
      return llvm::formatv("the PVQ dimension {0} is over {1}", pvq->dim, kMaxPVQDim).str();
    // Codewords walked in registers measured 6-13x slower than the decoded
    // f32 weights (a vector gather per position step); whole codewords read
    // from a table run at f32 speed in a quarter of the memory.
    uint64_t codewords = llvm::cantFail(::lq::pvqCodebookSize(pvq->dim, pvq->pulses));
    if (!pvqRegisters && codewords > (uint64_t)pvqTableEntries)
      return llvm::formatv("the PVQ codebook of {0} codewords is over pvq-table-entries; "
                           "pvq-registers=true packs it, decoded in registers",
                           codewords)
          .str();
  }
  // Sign bits are decoded a byte (8 k) at a time, against one group's alphas.
  if (bin && bin->group % 8 != 0)
    return llvm::formatv("the binary group size {0} is no multiple of 8", bin->group).str();
  if (u && planeWidths(u->bits).empty())
    return "the encoding is not 2-, 3-, 4- or 8-bit uniform";
  if (std::optional<int64_t> act = op.getActBits()) {
    if (*act != 8 || !u || u->bits != 4)
      return "activations are quantized, and not W4A8";
    if (int8Dot == Int8Dot::None)
      return "W4A8 needs int8 dot products (int8-dot=none)";
  }
  // A decode unit must not straddle groups (one scale and zero point each);
  // W4A8 pads groups instead.
  if (u && !op.getActBits() && u->group % unitK(u->bits) != 0)
    return llvm::formatv("the group size {0} is no multiple of {1} (the k of one {2}-bit byte)",
                         u->group, unitK(u->bits), u->bits)
        .str();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  if (!in.getElementType().isF32() || in.getRank() < 2 ||
      !cast<RankedTensorType>(op.getResult().getType()).getElementType().isF32())
    return "x or y is not an f32 tensor of rank >= 2";
  return std::nullopt;
}

/// The kernel function computing x * decode(W)^T for x of `xType` ([M, K])
/// and weights laid out as `w`, shared by every matmul of the same shape and
/// encoding: one function per layer shape instead of one loop nest per layer
/// keeps the code (and LLVM's time) independent of the depth.
static func::FuncOp getOrCreateKernel(ModuleOp module, const PackedWeight &w,
                                      RankedTensorType xType, Location loc, bool parallel,
                                      bool staticScale, int64_t tiledMinBatch) {
  MLIRContext *ctx = module.getContext();
  WeightType type = cast<WeightType>(w.source.getType());
  std::string name;
  llvm::raw_string_ostream os(name);
  os << "lq_cpu_packed_";
  // e.g. uniform<bits = 4, group = 128>
  type.getEncoding().print(os);
  os << (w.int8Act ? (staticScale ? "_a8s_" : "_a8_") : "_") << w.rows << "x" << w.cols << "_m";
  if (xType.isDynamicDim(0))
    os << "dyn";
  else
    os << xType.getDimSize(0);
  // Symbol-safe: letters, digits and underscores only; the dialect prefix
  // adds nothing.
  if (size_t prefix = name.find("#lq."); prefix != std::string::npos)
    name.erase(prefix, 4);
  std::string symbol;
  for (char c : name)
    if (llvm::isAlnum(c))
      symbol += c;
    else if (!symbol.empty() && symbol.back() != '_')
      symbol += '_';
  if (auto existing = module.lookupSymbol<func::FuncOp>(symbol))
    return existing;
  PackedWeight inner = w;
  SmallVector<Type> args = {xType};
  for (Value *part : inner.parts())
    args.push_back(part->getType());
  // The static activation scale: an argument, so layers of one shape share
  // the kernel.
  if (staticScale)
    args.push_back(Float32Type::get(ctx));
  auto yType = RankedTensorType::get({xType.getDimSize(0), w.rows}, Float32Type::get(ctx));
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, symbol, FunctionType::get(ctx, args, {yType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  for (auto [i, part] : llvm::enumerate(inner.parts()))
    *part = body->getArgument(i + 1);
  Value x = body->getArgument(0);
  SmallVector<Value> dynamic;
  if (yType.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, x, 0));
  Value init = tensor::EmptyOp::create(b, loc, yType, dynamic);
  Value scale = staticScale ? body->getArguments().back() : Value();
  func::ReturnOp::create(b, loc, buildPackedKernel(b, loc, inner, x, init, parallel, scale, tiledMinBatch));
  return fn;
}

/// Packing state of the pass: the packed weight of each lq.constant, and
/// by the constant's data, so the lq.constants of one weight in @forward and
/// @decode share one packed copy.
struct PackedWeights {
  /// The data and the layout (W4A8 or not): a weight used both ways gets
  /// both layouts.
  using DataKey = std::tuple<Attribute, Attribute, Attribute, Type, unsigned>;
  DenseMap<std::pair<Operation *, unsigned>, PackedWeight> byConstant;
  DenseMap<DataKey, PackedWeight> byData;
};

/// The packed weight of `constant`, made once per weight and materialized as
/// arith.constants next to each lq.constant of that weight.
static FailureOr<PackedWeight> getPacked(ConstantOp constant, bool int8Act, PackedWeights &packed,
                                         int64_t pvqTableEntries) {
  if (auto it = packed.byConstant.find({constant, int8Act}); it != packed.byConstant.end())
    return it->second;
  // Next to the lq.constant, so the packed constants dominate all its uses.
  OpBuilder b(constant);
  b.setInsertionPointAfter(constant);
  PackedWeights::DataKey key{constant.getCodes(), constant.getScales(),
                             constant.getZeroPointsAttr(), constant.getType(), int8Act};
  PackedWeight w;
  if (auto it = packed.byData.find(key); it != packed.byData.end()) {
    w = it->second;
    w.source = constant.getResult();
    for (Value *part : w.parts())
      *part = b.clone(*part->getDefiningOp())->getResult(0);
  } else {
    FailureOr<PackedWeight> made = packWeight(b, constant, packed.byData.size(), int8Act, pvqTableEntries);
    if (failed(made))
      return failure();
    w = *made;
    packed.byData.try_emplace(key, w);
  }
  packed.byConstant.try_emplace({constant, int8Act}, w);
  return w;
}

/// Rewrites `op` into a call of its kernel.
static LogicalResult rewriteMatmul(MatmulOp op, PackedWeights &packed, int64_t parallelMinWeights,
                                   int64_t pvqTableEntries, int64_t tiledMinBatch,
                                   Int8Dot int8Dot) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  FailureOr<PackedWeight> packedWeight =
      getPacked(constant, op.getActBits().has_value(), packed, pvqTableEntries);
  if (failed(packedWeight))
    return failure();
  PackedWeight *w = &*packedWeight;
  w->int8Dot = int8Dot;
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto inType = cast<RankedTensorType>(x.getType());
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = inType.getRank();
  SmallVector<ReassociationIndices> groups;
  if (rank > 2) {
    ReassociationIndices leading;
    for (int64_t i = 0; i + 1 < rank; ++i)
      leading.push_back(i);
    groups = {leading, {rank - 1}};
    x = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  func::FuncOp kernel =
      getOrCreateKernel(op->getParentOfType<ModuleOp>(), *w, cast<RankedTensorType>(x.getType()),
                        loc, w->rows * w->cols >= parallelMinWeights,
                        op.getActScale().has_value(), tiledMinBatch);
  SmallVector<Value> operands = {x};
  for (Value *part : w->parts())
    operands.push_back(*part);
  if (std::optional<APFloat> scale = op.getActScale())
    operands.push_back(arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale->convertToFloat())));
  auto call = func::CallOp::create(b, loc, kernel, operands);
  for (NamedAttribute a : op->getDiscardableAttrs())
    call->setAttr(a.getName(), a.getValue());
  // What the packed operands are, for tools that take the kernel and its
  // weights apart (quant-run emit).
  call->setAttr(mlir::lq::kPackedPartsAttrName, b.getStrArrayAttr(w->partNames()));
  Value y = call.getResult(0);
  if (rank > 2) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, op.getInput());
    sizes.back() = b.getIndexAttr(w->rows);
    y = tensor::ExpandShapeOp::create(b, loc, outType, y, groups, sizes);
  }
  if (y.getType() != outType)
    y = tensor::CastOp::create(b, loc, outType, y);
  op.getResult().replaceAllUsesWith(y);
  op.erase();
  return success();
}

/// The blobs of lq.constants whose data may be freed once packed: those
/// referred to by nothing but lq.constants all of whose uses are `matmuls`.
/// Each constant's data (by its codes) maps to the layouts (int8Act or
/// not) still to pack.
struct Releases {
  llvm::StringSet<> blobs;
  DenseMap<Attribute, SmallVector<bool, 2>> pending;

  static void forEachBlob(Operation *op, llvm::function_ref<void(StringRef)> fn) {
    op->getAttrDictionary().walk(
        [&](DenseResourceElementsAttr attr) { fn(attr.getRawHandle().getKey()); });
  }

  Releases(ModuleOp module, ArrayRef<MatmulOp> matmuls) {
    llvm::SmallPtrSet<Operation *, 32> packed;
    for (MatmulOp op : matmuls) {
      packed.insert(op);
      auto &layouts = pending[op.getWeight().getDefiningOp<ConstantOp>().getCodes()];
      if (!llvm::is_contained(layouts, op.getActBits().has_value()))
        layouts.push_back(op.getActBits().has_value());
    }
    llvm::StringSet<> kept;
    module.walk([&](Operation *op) {
      auto constant = dyn_cast<ConstantOp>(op);
      bool free = constant && llvm::all_of(constant->getUsers(),
                                           [&](Operation *user) { return packed.contains(user); });
      forEachBlob(op, [&](StringRef key) { (free ? blobs : kept).insert(key); });
    });
    for (const auto &key : kept)
      blobs.erase(key.getKey());
  }

  /// `constant`'s layout `int8Act` is packed: frees its blobs after the last.
  void packed(ConstantOp constant, bool int8Act) {
    auto it = pending.find(constant.getCodes());
    if (it == pending.end())
      return;
    llvm::erase(it->second, int8Act);
    if (!it->second.empty())
      return;
    pending.erase(it);
    auto &manager = DenseResourceElementsHandle::getManagerInterface(constant.getContext())
                        .getBlobManager();
    forEachBlob(constant, [&](StringRef key) {
      if (blobs.contains(key))
        manager.update(key, AsmResourceBlob());
    });
  }
};

namespace {
/// The int8 dot products are `llvm.call_intrinsic`, which declares no
/// memory effects, and ownership-based-buffer-deallocation rejects ops of
/// unknown effects. This model says they (register-only, IntrNoMem in LLVM)
/// have none; any other intrinsic reads and writes memory, as it might.
struct CallIntrinsicEffects
    : public MemoryEffectOpInterface::ExternalModel<CallIntrinsicEffects, LLVM::CallIntrinsicOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) const {
    if (llvm::is_contained({kVpdpbusd, kPmaddubsw, kPmaddwd, kPermps},
                           cast<LLVM::CallIntrinsicOp>(op).getIntrin()))
      return;
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};

struct LQCPUPackedMatmulPass : public mlir::lq::impl::LQCPUPackedMatmulBase<LQCPUPackedMatmulPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registry.addExtension(+[](MLIRContext *ctx, LLVM::LLVMDialect *) {
      std::optional<RegisteredOperationName> name =
          RegisteredOperationName::lookup(LLVM::CallIntrinsicOp::getOperationName(), ctx);
      if (name && !name->hasInterface<MemoryEffectOpInterface>())
        LLVM::CallIntrinsicOp::attachInterface<CallIntrinsicEffects>(*ctx);
    });
  }
  void runOnOperation() override {
    if (tiledMinBatch < 0) {
      getOperation().emitError() << "lq-cpu-packed-matmul: tiled-min-batch must be "
                                    "non-negative, got "
                                 << int64_t(tiledMinBatch);
      return signalPassFailure();
    }
    if (parallelMinWeights < 0) {
      getOperation().emitError() << "lq-cpu-packed-matmul: parallel-min-weights must be "
                                    "non-negative, got "
                                 << int64_t(parallelMinWeights);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) {
      if (!unsupported(op, int8Dot, pvqTableEntries, pvqRegisters))
        matmuls.push_back(op);
    });
    PackedWeights packed;
    std::optional<Releases> releases;
    if (releaseSources)
      releases.emplace(getOperation(), matmuls);
    for (MatmulOp op : matmuls) {
      auto constant = op.getWeight().getDefiningOp<ConstantOp>();
      bool int8Act = op.getActBits().has_value();
      if (failed(rewriteMatmul(op, packed, parallelMinWeights, pvqTableEntries, tiledMinBatch,
                               int8Dot)))
        return signalPassFailure();
      if (releases)
        releases->packed(constant, int8Act);
    }
    SetVector<Operation *> constants;
    for (auto &entry : packed.byConstant)
      constants.insert(entry.first.first);
    for (Operation *constant : constants)
      if (constant->use_empty())
        constant->erase();
  }
};
} // namespace
