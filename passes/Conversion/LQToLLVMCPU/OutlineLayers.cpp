//===- OutlineLayers.cpp - lq-cpu-outline-layers --------------------------===//
//
// A model's entry points repeat one layer L times, identical but for the
// weights (and, in @decode, the layer's slice of the KV caches). Emitted
// inline, every layer is lowered and compiled by LLVM again; outlined, one
// function is compiled and called L times, so compile time stops growing
// with the depth (and each layer's temporaries are freed when it returns).
//
// The repeats are found structurally: a function body's top-level ops other
// than constants, hashed by name, operand and result types and nested op
// count, are searched for the run of consecutive equal periods that saves
// the most ops; the repeats are then checked op by op (attributes, regions,
// and the same use of values inside each repeat). Values a repeat takes
// from outside become arguments, except constants equal in every repeat,
// which are cloned into the function; values used after it become results.
// Slices whose static offsets differ between repeats (a layer's cache slot)
// get those offsets as index arguments. Discardable attributes that differ
// (a linear's role) are dropped from the function.
//
//===----------------------------------------------------------------------===//

#include "lq/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::lq {
#define GEN_PASS_DEF_LQCPUOUTLINELAYERS
#include "lq/Conversion/Passes.h.inc"
} // namespace mlir::lq

using namespace mlir;

namespace {

/// The top-level ops of a function body that can be outlined: all but
/// constants (which stay where they are and are referred to) and the
/// terminator.
struct Sequence {
  Block *block;
  SmallVector<Operation *> ops;
  SmallVector<llvm::hash_code> hashes;
  /// Ops of each (nested ops included).
  SmallVector<int64_t> sizes;

  explicit Sequence(Block *block) : block(block) {
    for (Operation &op : block->without_terminator()) {
      if (op.hasTrait<OpTrait::ConstantLike>())
        continue;
      ops.push_back(&op);
      llvm::hash_code h =
          llvm::hash_combine(op.getName().getAsOpaquePointer(), op.getNumRegions());
      for (Type t : op.getOperandTypes())
        h = llvm::hash_combine(h, t.getAsOpaquePointer());
      for (Type t : op.getResultTypes())
        h = llvm::hash_combine(h, t.getAsOpaquePointer());
      int64_t size = 0;
      op.walk([&](Operation *) { ++size; });
      hashes.push_back(llvm::hash_combine(h, size));
      sizes.push_back(size);
    }
  }
};

/// Repeats [start + i * period, start + (i + 1) * period) of a sequence,
/// i < count.
struct Repeats {
  size_t start, period, count;
  int64_t saved; ///< ops (nested included) no longer emitted
};

/// Candidate runs of equal periods by hash, most ops saved first: for each
/// period, each maximal stretch where ops[i] and ops[i + period] hash alike
/// is periodic over its length plus one period.
static SmallVector<Repeats> candidates(const Sequence &seq, int64_t minOps) {
  size_t n = seq.ops.size();
  SmallVector<int64_t> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i)
    prefix[i + 1] = prefix[i] + seq.sizes[i];
  SmallVector<Repeats> found;
  for (size_t p = 1; 2 * p <= n; ++p) {
    size_t i = 0;
    while (i + p < n) {
      if (seq.hashes[i] != seq.hashes[i + p]) {
        ++i;
        continue;
      }
      size_t a = i;
      while (i + p < n && seq.hashes[i] == seq.hashes[i + p])
        ++i;
      size_t count = (i - a + p) / p;
      int64_t size = prefix[a + p] - prefix[a];
      if (count >= 2 && size >= minOps)
        found.push_back({a, p, count, size * int64_t(count - 1)});
    }
  }
  llvm::stable_sort(found, [](const Repeats &x, const Repeats &y) { return x.saved > y.saved; });
  return found;
}

/// The op of `block` that holds `value`'s definition, or null (an argument
/// of the block itself).
static Operation *topLevelOwner(Block *block, Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    def = cast<BlockArgument>(value).getOwner()->getParentOp();
  return def ? block->findAncestorOpInBlock(*def) : nullptr;
}

/// One repeat checked against the first: the correspondence of their values.
struct Match {
  Match(Block *block, const llvm::SmallPtrSetImpl<Operation *> *other)
      : block(block), other(other) {}

  Block *block;
  const llvm::SmallPtrSetImpl<Operation *> *other; ///< the repeat's ops
  /// First repeat's value -> this repeat's.
  DenseMap<Value, Value> values;
  /// Top-level slices (index in the repeat) whose static offsets differ.
  SmallVector<size_t> offsetsDiffer;
  /// Ops (of the first repeat) whose dialect attributes differ.
  llvm::SmallPtrSet<Operation *, 8> attributesDiffer;

  bool value(Value a, Value b) {
    if (a.getType() != b.getType())
      return false;
    auto [it, inserted] = values.try_emplace(a, b);
    if (!inserted)
      return it->second == b;
    // First seen here: a comes from outside the first repeat, so b must
    // come from outside this one.
    Operation *owner = topLevelOwner(block, b);
    return !owner || !other->contains(owner);
  }

  bool ops(Operation *a, Operation *b, bool topLevel, size_t index) {
    if (a->getName() != b->getName() || a->getNumOperands() != b->getNumOperands() ||
        a->getNumRegions() != b->getNumRegions() || a->getNumSuccessors() ||
        b->getNumSuccessors() || !llvm::equal(a->getResultTypes(), b->getResultTypes()))
      return false;
    // Dialect attributes ("lq.role") are annotations; inherent ones are
    // the op's meaning. Slices may differ in their static offsets only.
    bool slice = topLevel && isa<tensor::ExtractSliceOp, tensor::InsertSliceOp>(a);
    NamedAttrList inherentA, inherentB, dialectA, dialectB;
    for (NamedAttribute attr : a->getAttrDictionary())
      (attr.getName().strref().contains('.') ? dialectA : inherentA).push_back(attr);
    for (NamedAttribute attr : b->getAttrDictionary())
      (attr.getName().strref().contains('.') ? dialectB : inherentB).push_back(attr);
    MLIRContext *ctx = a->getContext();
    if (dialectA.getDictionary(ctx) != dialectB.getDictionary(ctx))
      attributesDiffer.insert(a);
    if (slice) {
      Attribute offsetsA = inherentA.erase("static_offsets");
      Attribute offsetsB = inherentB.erase("static_offsets");
      if (offsetsA != offsetsB) {
        auto offA = cast<OffsetSizeAndStrideOpInterface>(a).getStaticOffsets();
        auto offB = cast<OffsetSizeAndStrideOpInterface>(b).getStaticOffsets();
        for (auto [x, y] : llvm::zip(offA, offB))
          if ((x == ShapedType::kDynamic) != (y == ShapedType::kDynamic))
            return false;
        offsetsDiffer.push_back(index);
      }
    }
    if (inherentA.getDictionary(ctx) != inherentB.getDictionary(ctx))
      return false;
    for (auto [x, y] : llvm::zip(a->getOperands(), b->getOperands()))
      if (!value(x, y))
        return false;
    for (auto [ra, rb] : llvm::zip(a->getRegions(), b->getRegions())) {
      if (ra.getBlocks().size() != rb.getBlocks().size())
        return false;
      for (auto [ba, bb] : llvm::zip(ra, rb)) {
        if (ba.getNumArguments() != bb.getNumArguments() ||
            ba.getOperations().size() != bb.getOperations().size())
          return false;
        for (auto [x, y] : llvm::zip(ba.getArguments(), bb.getArguments()))
          if (x.getType() != y.getType() || !values.try_emplace(x, y).second)
            return false;
        for (auto [x, y] : llvm::zip(ba, bb))
          if (!ops(&x, &y, /*topLevel=*/false, 0))
            return false;
      }
    }
    for (auto [x, y] : llvm::zip(a->getResults(), b->getResults()))
      values[x] = y;
    return true;
  }
};

/// Makes the static offsets of the slice `op` that `differ` marks (those
/// that differ between repeats) index constants, which one function can
/// then take as arguments.
static Operation *dynamicOffsets(Operation *op, ArrayRef<bool> differ) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  for (auto [i, offset] : llvm::enumerate(offsets))
    if (differ[i])
      if (std::optional<int64_t> c = getConstantIntValue(offset))
        offset = arith::ConstantIndexOp::create(b, loc, *c).getResult();
  Operation *made;
  if (auto extract = dyn_cast<tensor::ExtractSliceOp>(op))
    made = tensor::ExtractSliceOp::create(b, loc, extract.getType(), extract.getSource(), offsets,
                                          extract.getMixedSizes(), extract.getMixedStrides());
  else {
    auto insert = cast<tensor::InsertSliceOp>(op);
    made = tensor::InsertSliceOp::create(b, loc, insert.getSource(), insert.getDest(), offsets,
                                         insert.getMixedSizes(), insert.getMixedStrides());
  }
  made->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op->replaceAllUsesWith(made);
  op->erase();
  return made;
}

/// Checks every repeat against the first; how many in a row match (at
/// least 1). Fills one Match per matching repeat.
static size_t matchRepeats(const Sequence &seq, const Repeats &r,
                           std::vector<llvm::SmallPtrSet<Operation *, 32>> &sets,
                           std::vector<Match> &matches) {
  sets.assign(r.count, {});
  for (size_t i = 0; i < r.count; ++i)
    for (size_t j = 0; j < r.period; ++j)
      sets[i].insert(seq.ops[r.start + i * r.period + j]);
  matches.clear();
  for (size_t i = 0; i < r.count; ++i) {
    Match m(seq.block, &sets[i]);
    bool ok = true;
    for (size_t j = 0; ok && j < r.period; ++j)
      ok = m.ops(seq.ops[r.start + j], seq.ops[r.start + i * r.period + j], true, j);
    if (!ok)
      break;
    matches.push_back(std::move(m));
  }
  return matches.size();
}

/// Values crossing the boundary of the repeat at [start, start + period):
/// the arguments and results a function of it would have.
static size_t crossings(const Sequence &seq, size_t start, size_t period) {
  llvm::SmallPtrSet<Operation *, 32> inside;
  for (size_t j = 0; j < period; ++j)
    inside.insert(seq.ops[start + j]);
  llvm::SmallPtrSet<Value, 16> in, out;
  for (size_t j = 0; j < period; ++j) {
    Operation *op = seq.ops[start + j];
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        Operation *owner = topLevelOwner(seq.block, v);
        if (owner && !inside.contains(owner) && !owner->hasTrait<OpTrait::ConstantLike>())
          in.insert(v);
      }
    });
    for (Value v : op->getResults())
      for (Operation *user : v.getUsers())
        if (!inside.contains(seq.block->findAncestorOpInBlock(*user)))
          out.insert(v);
  }
  return in.size() + out.size();
}

/// Outlines the repeats `r` of `fn`'s body into one function; false when
/// they do not hold up to the op-by-op check.
static bool outline(func::FuncOp fn, Sequence &seq, Repeats r, SymbolTable &symbols) {
  // Of the phases that keep all repeats, the one cutting fewest values
  // (for layers: between two layers, not inside attention).
  size_t end = r.start + r.count * r.period, slack = 0;
  while (slack < r.period && end + slack < seq.ops.size() &&
         seq.hashes[end + slack] == seq.hashes[end + slack - r.period])
    ++slack;
  size_t best = r.start, bestCost = crossings(seq, r.start, r.period);
  for (size_t s = r.start + 1; s <= r.start + slack; ++s)
    if (size_t cost = crossings(seq, s, r.period); cost < bestCost)
      best = s, bestCost = cost;
  r.start = best;

  std::vector<llvm::SmallPtrSet<Operation *, 32>> sets;
  std::vector<Match> matches;
  r.count = matchRepeats(seq, r, sets, matches);
  if (r.count < 2)
    return false;

  // Offsets that differ become index constants in every repeat, then
  // arguments like any other value that differs.
  llvm::SmallDenseMap<size_t, SmallVector<bool>> differ;
  for (Match &m : matches)
    for (size_t j : m.offsetsDiffer) {
      auto a = cast<OffsetSizeAndStrideOpInterface>(seq.ops[r.start + j]);
      auto &d = differ[j];
      d.resize(a.getStaticOffsets().size(), false);
      size_t i = &m - matches.data();
      auto b = cast<OffsetSizeAndStrideOpInterface>(seq.ops[r.start + i * r.period + j]);
      for (auto [k, pair] : llvm::enumerate(llvm::zip(a.getStaticOffsets(), b.getStaticOffsets())))
        d[k] = d[k] || std::get<0>(pair) != std::get<1>(pair);
    }
  if (!differ.empty()) {
    for (auto &[j, d] : differ)
      for (size_t i = 0; i < r.count; ++i) {
        Operation *&op = seq.ops[r.start + i * r.period + j];
        op = dynamicOffsets(op, d);
      }
    if (matchRepeats(seq, r, sets, matches) < r.count)
      return false;
  }

  // Arguments: values from outside the first repeat, in order of use;
  // constants equal in every repeat are cloned instead.
  Block *block = seq.block;
  llvm::MapVector<Value, bool> outside; // value -> passed as an argument
  for (size_t j = 0; j < r.period; ++j)
    seq.ops[r.start + j]->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        Operation *owner = topLevelOwner(block, v);
        if (!owner || !sets[0].contains(owner))
          outside.insert({v, false});
      }
    });
  for (auto &[v, passed] : outside) {
    Attribute first;
    if (!matchPattern(v, m_Constant(&first))) {
      passed = true;
      continue;
    }
    for (Match &m : matches) {
      Attribute other;
      if (!matchPattern(m.values.lookup(v), m_Constant(&other)) || other != first) {
        passed = true;
        break;
      }
    }
  }
  // Arguments equal in every repeat (one layer index used by several
  // slices) are passed once.
  auto same = [](Value x, Value y) {
    Attribute ax, ay;
    return x == y || (matchPattern(x, m_Constant(&ax)) && matchPattern(y, m_Constant(&ay)) &&
                      ax == ay && x.getType() == y.getType());
  };
  auto valueIn = [&](size_t i, Value v) { return i == 0 ? v : matches[i].values.lookup(v); };
  DenseMap<Value, Value> sharedWith; // argument -> the earlier one it repeats
  SmallVector<Value> kept;
  for (auto &[outsideValue, passed] : outside) {
    if (!passed)
      continue;
    Value v = outsideValue; // a lambda cannot capture a structured binding (C++17)
    for (Value earlier : kept)
      if (llvm::all_of(llvm::seq<size_t>(0, r.count),
                       [&](size_t i) { return same(valueIn(i, v), valueIn(i, earlier)); })) {
        sharedWith[v] = earlier;
        break;
      }
    if (!sharedWith.count(v))
      kept.push_back(v);
  }

  // Results: values of any repeat used after it.
  SmallVector<std::pair<size_t, unsigned>> results;
  for (size_t j = 0; j < r.period; ++j)
    for (unsigned k = 0; k < seq.ops[r.start + j]->getNumResults(); ++k)
      for (size_t i = 0; i < r.count; ++i) {
        Value v = seq.ops[r.start + i * r.period + j]->getResult(k);
        if (llvm::any_of(v.getUsers(), [&](Operation *user) {
              return !sets[i].contains(block->findAncestorOpInBlock(*user));
            })) {
          results.push_back({j, k});
          break;
        }
      }

  // The function, from the first repeat.
  MLIRContext *ctx = fn.getContext();
  SmallVector<Type> argTypes, resultTypes;
  for (Value v : kept)
    argTypes.push_back(v.getType());
  for (auto [j, k] : results)
    resultTypes.push_back(seq.ops[r.start + j]->getResult(k).getType());
  OpBuilder b(ctx);
  b.setInsertionPointAfter(fn);
  auto layer = func::FuncOp::create(b, seq.ops[r.start]->getLoc(), (fn.getSymName() + "_layer").str(),
                                    FunctionType::get(ctx, argTypes, resultTypes));
  layer.setPrivate();
  symbols.insert(layer);
  Block *body = layer.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  for (auto [n, v] : llvm::enumerate(kept))
    mapping.map(v, body->getArgument(n));
  for (auto &[v, passed] : outside)
    if (!passed)
      mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
    else if (Value earlier = sharedWith.lookup(v))
      mapping.map(v, mapping.lookup(earlier));
  for (size_t j = 0; j < r.period; ++j) {
    Operation *op = seq.ops[r.start + j];
    bool strip = llvm::any_of(matches, [&](Match &m) { return m.attributesDiffer.contains(op); });
    Operation *copy = b.clone(*op, mapping);
    if (strip)
      for (NamedAttribute attr : llvm::to_vector(copy->getDiscardableAttrs()))
        if (attr.getName().strref().contains('.'))
          copy->removeAttr(attr.getName());
  }
  SmallVector<Value> returned;
  for (auto [j, k] : results)
    returned.push_back(mapping.lookup(seq.ops[r.start + j]->getResult(k)));
  func::ReturnOp::create(b, layer.getLoc(), returned);

  // Each repeat becomes a call after its last op. Later repeats may take
  // values of earlier ones, replaced by then.
  DenseMap<Value, Value> replaced;
  for (size_t i = 0; i < r.count; ++i) {
    SmallVector<Value> operands;
    for (Value v : kept) {
      Value mine = valueIn(i, v);
      operands.push_back(replaced.lookup(mine) ? replaced.lookup(mine) : mine);
    }
    Operation *last = seq.ops[r.start + i * r.period + r.period - 1];
    b.setInsertionPointAfter(last);
    auto call = func::CallOp::create(b, last->getLoc(), layer, operands);
    for (auto [n, pos] : llvm::enumerate(results)) {
      Value v = seq.ops[r.start + i * r.period + pos.first]->getResult(pos.second);
      replaced[v] = call.getResult(n);
      v.replaceUsesWithIf(call.getResult(n), [&](OpOperand &use) {
        return !sets[i].contains(block->findAncestorOpInBlock(*use.getOwner()));
      });
    }
    for (size_t j = r.period; j-- > 0;) {
      Operation *op = seq.ops[r.start + i * r.period + j];
      op->dropAllUses();
      op->erase();
    }
  }
  return true;
}

/// CSE leaves one tensor.empty or zero fill for all layers of one shape,
/// defined before the first: the first layer would then differ from the
/// others, and every layer take the init as an argument. Each top-level
/// user gets its own copy, just before it, instead (bufferization gives
/// each write its own buffer either way).
static void copyInitsToUsers(Block *block) {
  SmallVector<Operation *> inits;
  for (Operation &op : *block)
    if (isa<tensor::EmptyOp, linalg::FillOp>(op) && op.getNumResults() == 1 &&
        isa<RankedTensorType>(op.getResult(0).getType()))
      inits.push_back(&op);
  for (Operation *init : llvm::reverse(inits)) {
    llvm::SetVector<Operation *> users;
    for (Operation *user : init->getUsers())
      users.insert(block->findAncestorOpInBlock(*user));
    if (users.size() < 2)
      continue;
    for (Operation *user : users) {
      OpBuilder b(user);
      Operation *copy = b.clone(*init);
      init->getResult(0).replaceUsesWithIf(copy->getResult(0), [&](OpOperand &use) {
        return block->findAncestorOpInBlock(*use.getOwner()) == user;
      });
    }
    init->erase();
  }
}

struct LQCPUOutlineLayersPass
    : public mlir::lq::impl::LQCPUOutlineLayersBase<LQCPUOutlineLayersPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() && fn.getBody().hasOneBlock())
        functions.push_back(fn);
    for (func::FuncOp fn : functions) {
      copyInitsToUsers(&fn.getBody().front());
      // Outlining repeats may expose shorter ones around them; a handful
      // of candidates per round bounds the work on bodies without any.
      bool changed = true;
      while (changed) {
        changed = false;
        Sequence seq(&fn.getBody().front());
        SmallVector<Repeats> found = candidates(seq, minOps);
        for (const Repeats &r : llvm::ArrayRef(found).take_front(8))
          if (outline(fn, seq, r, symbols)) {
            changed = true;
            break;
          }
      }
    }
  }
};

} // namespace
