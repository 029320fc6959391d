//===- PackedPVQ.cpp - lq-cpu-packed-matmul's PVQ layout and decode -------===//
//
// PVQ codes (`#lq.pvq<dim = D, pulses = P, ...>`): each group of D weights
// of a row is amp * y / ||y||, y the codeword of its index in the pyramid
// P(D, P) (docs/Layout.md's enumeration). The packed kernel decodes the 16
// rows of a panel together, one i32 lane per row, into D vectors of f32 (one
// per k), which feed the same FMAs as the uniform codes; amp / ||y|| scales
// the group's sum once (PackedMatmul.cpp's file comment).
//
// Decoding walks the enumeration position by position: with `rest`
// positions after this one and k pulses left, the block of |y_i| = m starts
// at starts[rest][k][m] (m = 0 first, then a +m and a -m half per m), found
// by a binary search with a fixed number of probes, each a gather from the
// small table of block starts (as the GPU kernel, LQToNVPTX/PVQ.cpp); the
// last two positions are closed forms. Where the codebook allows, the last
// `tail` positions (8 or 4) are instead one gather from a table of
// codewords (int8 each, all of P(tail, k) for the pulse counts k left),
// small enough to stay in cache: for D = 8 and P <= 6, the whole codeword.
//
// Where the whole codeword of D = 4 or 8 comes from the table and |y| <= 7,
// an entry holds y + 8 in 4-bit fields and 1 / ||y|| as f32 (`nibbles`):
// one lookup gives both (the kernel's unit loop makes the next unit's a
// step ahead: lookupPVQUnit), and position p is decoded in place, as the
// uniform codes' fields are (PackedKernel.cpp, magicDecode): the field at
// bit 4 * (p % 4) of its 16-bit half, or-ed into the mantissa of 2^23, is
// 2^23 + (y_p + 8) * 2^(4 * (p % 4)) as f32, so one logic op and one
// subtraction give y_p * 2^(4 * (p % 4)) exactly; the kernel's x comes
// scaled by the inverse power. Measured on 4096x4096 and 11008x4096 at
// batch 1: docs/results/cpu.md.
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Numerics/PVQ.h"
#include "lq/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

/// The tail table holds the codewords of P(tail, k) for k from this up to
/// `pulses`: only `pulses` when the tail is the whole group.
static int64_t firstTailPulses(int64_t dim, int64_t pulses, int64_t tail) {
  return tail == dim ? pulses : 0;
}

/// Entries of the tail table, saturated at UINT64_MAX.
static uint64_t tailEntries(int64_t dim, int64_t pulses, int64_t tail) {
  uint64_t n = 0;
  for (int64_t k = firstTailPulses(dim, pulses, tail); k <= pulses; ++k) {
    llvm::Expected<uint64_t> count = ::lq::pvqCodebookSize(tail, k);
    if (!count) {
      llvm::consumeError(count.takeError());
      return UINT64_MAX;
    }
    if (*count > UINT64_MAX - n)
      return UINT64_MAX;
    n += *count;
  }
  return n;
}

int64_t mlir::lq::cpu::choosePVQTail(int64_t dim, int64_t pulses, int64_t maxEntries) {
  for (int64_t tail : {8, 4})
    if (tail <= dim && maxEntries > 0 && tailEntries(dim, pulses, tail) <= uint64_t(maxEntries))
      return tail;
  return 0;
}

PackedWeight mlir::lq::cpu::packPVQ(OpBuilder &b, ConstantOp constant,
                                    const ::lq::EncodedWeight &ew, unsigned id,
                                    int64_t pvqTableEntries) {
  WeightType type = constant.getResult().getType();
  auto enc = std::get<::lq::PVQEncoding>(type.getEncoding().getNumericEncoding());
  int64_t N = type.getRows(), K = type.getCols(), panels = llvm::divideCeil(N, kPanel);
  unsigned indexBits = llvm::cantFail(::lq::pvqIndexBits(enc.dim, enc.pulses));
  Location loc = constant.getLoc();
  // A row's stream of `count` fields of `width` bits (its lq.constant bytes)
  // as i32 words, interleaved across the panel's rows, with one word more
  // so a field's next word is always there.
  auto stream = [&](const std::vector<uint8_t> &bytes, int64_t count, unsigned width,
                    StringRef part) -> Value {
    int64_t rowBytes = ::lq::packedBytes(count, width);
    int64_t words = llvm::divideCeil(count * width, 32) + 1;
    std::vector<uint32_t> out(panels * words * kPanel, 0);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < rowBytes; ++i)
        out[((n / kPanel) * words + i / 4) * kPanel + n % kPanel] |=
            uint32_t(bytes[n * rowBytes + i]) << (8 * (i % 4));
    auto t = RankedTensorType::get({panels, words, kPanel}, b.getI32Type());
    return arith::ConstantOp::create(
        b, loc, t,
        makeResource(t, llvm::formatv("lq_cpu_pvq_{0}_{1}", id, part).str(),
                     ArrayRef<uint32_t>(out)));
  };
  std::vector<float> steps(panels * kPanel, 0.0f);
  for (int64_t n = 0; n < N; ++n)
    steps[n] = ::lq::halfToFloat(ew.scales[n]);
  auto stepsType = RankedTensorType::get({panels, kPanel}, b.getF32Type());
  PackedWeight w{constant.getResult(), N, K, K, 0, {}, nullptr, nullptr};
  w.pvq.dim = enc.dim;
  w.pvq.pulses = enc.pulses;
  w.pvq.ampGroup = enc.ampGroup;
  w.pvq.indexBits = indexBits;
  w.pvq.ampBits = enc.ampBits;
  w.pvq.tail = choosePVQTail(enc.dim, enc.pulses, pvqTableEntries);
  w.pvq.codewords = int64_t(llvm::cantFail(::lq::pvqCodebookSize(enc.dim, enc.pulses)));
  w.pvq.nibbles = w.pvq.tail == enc.dim && (enc.dim == 4 || enc.dim == 8) && enc.pulses <= 7;
  // Groups a unit: as many (up to kPVQGroupsPerUnit) as divide a row's.
  // Nibbles: no chains of dependent gathers to overlap, and two groups'
  // decoded vectors already fill AVX2's registers (four spill more).
  w.pvq.groupsPerUnit = w.pvq.nibbles ? 2 : kPVQGroupsPerUnit;
  while ((K / enc.dim) % w.pvq.groupsPerUnit)
    w.pvq.groupsPerUnit /= 2;
  int64_t groups = K / enc.dim;
  w.pvq.ampWithIndex = enc.ampGroup == enc.dim && indexBits + enc.ampBits <= 32;
  if (w.pvq.ampWithIndex) {
    unsigned width = indexBits + enc.ampBits;
    int64_t indexBytes = ::lq::packedBytes(groups, indexBits),
            ampBytes = ::lq::packedBytes(groups, enc.ampBits),
            rowBytes = ::lq::packedBytes(groups, width);
    std::vector<uint8_t> fields(N * rowBytes, 0);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < groups; ++g)
        ::lq::putBits(&fields[n * rowBytes], g * width, width,
                      ::lq::getBits(&ew.codes[n * indexBytes], g * indexBits, indexBits) |
                          ::lq::getBits(&ew.amplitudes[n * ampBytes], g * enc.ampBits, enc.ampBits)
                              << indexBits);
    w.pvq.indices = stream(fields, groups, width, "fields");
  } else {
    w.pvq.indices = stream(ew.codes, groups, indexBits, "indices");
    w.pvq.amps = stream(ew.amplitudes, K / enc.ampGroup, enc.ampBits, "amps");
  }
  w.pvq.steps = arith::ConstantOp::create(
      b, loc, stepsType,
      makeResource(stepsType, llvm::formatv("lq_cpu_pvq_{0}_steps", id).str(),
                   ArrayRef<float>(steps)));
  return w;
}

PVQTables mlir::lq::cpu::buildPVQTables(OpBuilder &b, Location loc, const PVQLayout &pvq) {
  int64_t D = pvq.dim, P = pvq.pulses, tail = pvq.tail;
  ::lq::PVQCodebook book = llvm::cantFail(::lq::PVQCodebook::create(D, P));
  auto table = [&](StringRef part, Type elt, auto values) -> Value {
    auto t = RankedTensorType::get({int64_t(values.size())}, elt);
    return arith::ConstantOp::create(
        b, loc, t,
        makeResource(t, llvm::formatv("lq_cpu_pvq_d{0}p{1}_{2}", D, P, part).str(),
                     ArrayRef(values)));
  };
  PVQTables t;
  // Block starts of row (rest, k), rest >= 2 (closed forms below): entry m
  // starts |y_i| = m; past k, the row's end N(rest + 1, k), never <= an index.
  if (D - tail > 0 && D >= 3) {
    std::vector<uint32_t> starts;
    for (int64_t rest = 2; rest < D; ++rest)
      for (int64_t k = 0; k <= P; ++k) {
        uint64_t s = book.count(rest, k);
        starts.push_back(0);
        for (int64_t m = 1; m <= P + 1; ++m) {
          starts.push_back(uint32_t(s));
          if (m <= k)
            s += 2 * book.count(rest, k - m);
        }
      }
    t.starts = table("starts", b.getI32Type(), starts);
  }
  if (!tail)
    return t;
  if (pvq.nibbles) {
    // The whole codebook: y + 8 per position, 1 / ||y|| above.
    std::vector<uint64_t> words;
    std::vector<int32_t> y(D);
    for (uint64_t i = 0; i < book.size(); ++i) {
      book.decode(i, y.data());
      uint64_t word = 0;
      int32_t sumSq = 0;
      for (int64_t p = 0; p < D; ++p) {
        word |= uint64_t(y[p] + 8) << (4 * p);
        sumSq += y[p] * y[p];
      }
      float inverse = 1.0f / std::sqrt(float(sumSq));
      words.push_back(word | uint64_t(llvm::bit_cast<uint32_t>(inverse)) << 32);
    }
    t.tail = table("nibbles", b.getI64Type(), words);
    return t;
  }
  // Codewords of P(tail, k), k = first .. P, one int8 per position (the
  // first in the lowest byte), and where each k's start.
  std::vector<uint64_t> words;
  std::vector<uint32_t> offsets(P + 1, 0);
  std::vector<int32_t> y(tail);
  for (int64_t k = firstTailPulses(D, P, tail); k <= P; ++k) {
    offsets[k] = uint32_t(words.size());
    if (k == 0) {
      words.push_back(0);
      continue;
    }
    ::lq::PVQCodebook sub = llvm::cantFail(::lq::PVQCodebook::create(tail, k));
    for (uint64_t i = 0; i < sub.size(); ++i) {
      sub.decode(i, y.data());
      uint64_t word = 0;
      for (int64_t p = 0; p < tail; ++p)
        word |= uint64_t(uint8_t(int8_t(y[p]))) << (8 * p);
      words.push_back(word);
    }
  }
  if (tail == 8) {
    t.tail = table("tail8", b.getI64Type(), words);
  } else {
    std::vector<uint32_t> narrow(words.begin(), words.end());
    t.tail = table("tail4", b.getI32Type(), narrow);
  }
  if (tail < D)
    t.tailOffsets = table("tail_offsets", b.getI32Type(), offsets);
  return t;
}

namespace {
/// Ops on vectors of the panel's 16 rows (i32 lanes unless said).
struct LaneBuilder {
  OpBuilder &b;
  Location loc;

  VectorType vec(Type elt) { return VectorType::get({kPanel}, elt); }
  VectorType i32Vec() { return vec(b.getI32Type()); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value splat(int64_t v, Type elt = {}) {
    VectorType type = vec(elt ? elt : b.getI32Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<APInt>{APInt(type.getElementTypeBitWidth(), v, true)}));
  }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value sub(Value a, Value c) { return arith::SubIOp::create(b, loc, a, c); }
  Value neg(Value a) { return sub(splat(0), a); }
  Value cmp(arith::CmpIPredicate p, Value a, Value c) {
    return arith::CmpIOp::create(b, loc, p, a, c);
  }
  Value select(Value c, Value a, Value d) { return arith::SelectOp::create(b, loc, c, a, d); }
  Value read(Value tensor, ValueRange indices, Type elt) {
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
    return vector::TransferReadOp::create(b, loc, vec(elt), tensor, indices, pad,
                                          ArrayRef<bool>{true});
  }
  /// table[at[i]] for each lane, as scalar loads. The lanes' indices move
  /// to scalar registers two at a time (an i64 lane, split by a shift),
  /// which halves the vector-to-integer moves that bound this on AVX2
  /// (llvm-mca, znver3); LLVM's own gather there is the same scalar loads
  /// with one move per lane (a vpgatherdq measured slower still).
  Value lookupLanes(Value table, Value at) {
    Type elt = cast<RankedTensorType>(table.getType()).getElementType();
    Type i64 = b.getI64Type();
    Value pairs = vector::BitCastOp::create(b, loc, VectorType::get({kPanel / 2}, i64), at);
    Value low = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0xffffffff));
    Value high = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(32));
    SmallVector<Value> elems;
    for (int64_t i = 0; i < kPanel / 2; ++i) {
      Value pair = vector::ExtractOp::create(b, loc, pairs, i);
      for (Value v : {(Value)arith::AndIOp::create(b, loc, pair, low),
                      (Value)arith::ShRUIOp::create(b, loc, pair, high)}) {
        Value pos = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
        elems.push_back(tensor::ExtractOp::create(b, loc, table, ValueRange{pos}));
      }
    }
    return vector::FromElementsOp::create(b, loc, vec(elt), elems);
  }
  /// table[at[i]] for each lane: one gather from a constant table.
  Value gather(Value table, Value at) {
    Type elt = cast<RankedTensorType>(table.getType()).getElementType();
    Value all = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(b.getI1Type()), ArrayRef<Attribute>{b.getBoolAttr(true)}));
    return vector::GatherOp::create(b, loc, vec(elt), table, ValueRange{idx(0)}, at, all,
                                    splat(0, elt));
  }

  /// The `width`-bit fields at bit `bit` of the 16 rows' streams `words`
  /// ([panels, words, 16] i32): the two words it may span, shifted (the
  /// high word by 31 - s, then 1, so s = 0 shifts it out whole).
  Value field(Value words, Value panel, Value bit, unsigned width) {
    Value word = arith::ShRUIOp::create(b, loc, bit, idx(5));
    Value s = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                         arith::AndIOp::create(b, loc, bit, idx(31)));
    Value shift = vector::BroadcastOp::create(b, loc, i32Vec(), s);
    Value lo = read(words, {panel, word, idx(0)}, b.getI32Type());
    Value hi = read(words, {panel, arith::AddIOp::create(b, loc, word, idx(1)), idx(0)},
                    b.getI32Type());
    Value up = arith::ShLIOp::create(
        b, loc, arith::ShLIOp::create(b, loc, hi, sub(splat(31), shift)), splat(1));
    Value v = arith::OrIOp::create(b, loc, arith::ShRUIOp::create(b, loc, lo, shift), up);
    if (width < 32)
      v = arith::AndIOp::create(b, loc, v, splat((int64_t(1) << width) - 1));
    return v;
  }
};
} // namespace

int64_t mlir::lq::cpu::pvqShift(const PVQLayout &pvq, int64_t p) {
  return pvq.nibbles ? 4 * (p % 4) : 0;
}

/// Group `g`'s index and amplitude code, for the panel's 16 rows.
static std::pair<Value, Value> groupFields(LaneBuilder &l, const PVQLayout &pvq, Value panel,
                                           Value g) {
  OpBuilder &b = l.b;
  Location loc = l.loc;
  auto bitOf = [&](Value v, int64_t width) {
    return arith::MulIOp::create(b, loc, v, l.idx(width)).getResult();
  };
  if (pvq.ampWithIndex) {
    unsigned width = pvq.indexBits + pvq.ampBits;
    Value both = l.field(pvq.indices, panel, bitOf(g, width), width);
    return {arith::AndIOp::create(b, loc, both, l.splat((int64_t(1) << pvq.indexBits) - 1)),
            arith::ShRUIOp::create(b, loc, both, l.splat(pvq.indexBits))};
  }
  Value ampGroup = arith::DivUIOp::create(b, loc, g, l.idx(pvq.ampGroup / pvq.dim));
  return {l.field(pvq.indices, panel, bitOf(g, pvq.indexBits), pvq.indexBits),
          l.field(pvq.amps, panel, bitOf(ampGroup, pvq.ampBits), pvq.ampBits)};
}

/// amp = (a + 1) * step for the panel's 16 rows' amplitude codes `code`,
/// as the reference decoder computes it.
static Value amplitude(LaneBuilder &l, const PVQLayout &pvq, Value panel, Value code) {
  Type f32 = l.b.getF32Type();
  return arith::MulFOp::create(
      l.b, l.loc, arith::UIToFPOp::create(l.b, l.loc, l.vec(f32), l.add(code, l.splat(1))),
      l.read(pvq.steps, {panel, l.idx(0)}, f32));
}

SmallVector<Value> mlir::lq::cpu::lookupPVQUnit(OpBuilder &b, Location loc, const PackedWeight &w,
                                                const PVQTables &tables, Value panel, Value u) {
  const PVQLayout &pvq = w.pvq;
  const int64_t U = pvq.groupsPerUnit;
  LaneBuilder l{b, loc};
  SmallVector<Value> codewords, scales;
  for (int64_t j = 0; j < U; ++j) {
    Value g = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, u, l.idx(U)), l.idx(j));
    auto [index, ampCode] = groupFields(l, pvq, panel, g);
    // An index outside the codebook must not read past the table.
    Value at = arith::MinUIOp::create(b, loc, index, l.splat(pvq.codewords - 1));
    Value word = l.lookupLanes(tables.tail, at);
    codewords.push_back(arith::TruncIOp::create(b, loc, l.i32Vec(), word));
    Value inverse = vector::BitCastOp::create(
        b, loc, l.vec(b.getF32Type()),
        arith::TruncIOp::create(b, loc, l.i32Vec(),
                                arith::ShRUIOp::create(b, loc, word, l.splat(32, b.getI64Type()))));
    scales.push_back(arith::MulFOp::create(b, loc, amplitude(l, pvq, panel, ampCode), inverse));
  }
  codewords.append(scales);
  return codewords;
}

PVQUnit mlir::lq::cpu::decodePVQUnit(OpBuilder &b, Location loc, const PackedWeight &w,
                                     const PVQTables &tables, Value panel, Value u,
                                     ArrayRef<Value> looked) {
  using P = arith::CmpIPredicate;
  const PVQLayout &pvq = w.pvq;
  const int64_t D = pvq.dim, pulses = pvq.pulses, U = pvq.groupsPerUnit;
  LaneBuilder l{b, loc};
  Type f32 = b.getF32Type();
  auto mulIdx = [&](Value v, int64_t c) {
    return arith::MulIOp::create(b, loc, v, l.idx(c)).getResult();
  };
  // Per group of the unit: its index (what is left of it), pulses left,
  // sum of y^2 and the y decoded so far. The groups' chains of dependent
  // gathers are independent: built position by position, interleaved, so
  // their latencies overlap.
  struct Group {
    Value g, index, ampCode, codeword, scale, k, sumSq;
    SmallVector<Value> ys;
  };
  SmallVector<Value> own;
  if (pvq.nibbles && looked.empty())
    looked = own = lookupPVQUnit(b, loc, w, tables, panel, u);
  SmallVector<Group> groups(U);
  for (auto [j, gr] : llvm::enumerate(groups)) {
    gr.g = arith::AddIOp::create(b, loc, mulIdx(u, U), l.idx(j));
    if (pvq.nibbles) {
      gr.codeword = looked[j];
      gr.scale = looked[U + j];
      continue;
    }
    std::tie(gr.index, gr.ampCode) = groupFields(l, pvq, panel, gr.g);
    gr.k = l.splat(pulses);
    gr.sumSq = l.splat(0);
  }
  auto take = [&](Group &gr, Value y) {
    gr.k = l.sub(gr.k, arith::MaxSIOp::create(b, loc, y, l.neg(y)));
    gr.sumSq = l.add(gr.sumSq, arith::MulIOp::create(b, loc, y, y));
    gr.ys.push_back(y);
  };
  for (int64_t i = 0; i < D - pvq.tail; ++i) {
    int64_t rest = D - 1 - i;
    for (Group &gr : groups) {
      Value &index = gr.index, &k = gr.k;
      if (rest == 0) {
        // The last position takes the pulses left: +k (index 0) or -k.
        take(gr, l.select(l.cmp(P::eq, index, l.splat(0)), k, l.neg(k)));
        continue;
      }
      if (rest == 1) {
        // Two positions left, in closed form: y_i = 0 takes indices 0 and
        // 1, then each m < k a +m pair and a -m pair, m = k one index each.
        Value isZero = l.cmp(P::ult, index, l.splat(2));
        Value t = l.sub(index, l.splat(2));
        Value m = arith::MinUIOp::create(
            b, loc, l.add(arith::ShRUIOp::create(b, loc, t, l.splat(2)), l.splat(1)), k);
        Value rem = arith::AndIOp::create(b, loc, t, l.splat(3));
        Value atK = l.cmp(P::eq, m, k);
        Value negative =
            l.select(atK, l.cmp(P::ne, rem, l.splat(0)), l.cmp(P::uge, rem, l.splat(2)));
        Value y = l.select(isZero, l.splat(0), l.select(negative, l.neg(m), m));
        index = l.select(
            isZero, index,
            l.select(atK, l.splat(0), arith::AndIOp::create(b, loc, rem, l.splat(1))));
        take(gr, y);
        continue;
      }
      // |y_i| = m: the last block start <= index in row (rest, k), by a
      // binary search with a fixed number of probes (the first makes the
      // rest powers of two); the last probes to succeed and to fail give
      // the +-m pair's start and end.
      const int64_t n = pulses + 2, top = int64_t(llvm::bit_floor(uint64_t(n)));
      Value rowBase = arith::MulIOp::create(
          b, loc, l.add(l.splat((rest - 2) * (pulses + 1)), k), l.splat(n));
      Value m = l.splat(0), begin = l.splat(0), end = l.splat(-1);
      auto probe = [&](Value cand) {
        Value v = l.gather(tables.starts, l.add(rowBase, cand));
        Value fits = l.cmp(P::ule, v, index);
        m = l.select(fits, cand, m);
        begin = l.select(fits, v, begin);
        end = l.select(fits, end, v);
      };
      if (n > top)
        probe(l.splat(n - top));
      for (int64_t stride = top / 2; stride >= 1; stride /= 2)
        probe(l.add(m, l.splat(stride)));
      // An index outside the codebook must not spend more than k pulses.
      m = arith::MinUIOp::create(b, loc, m, k);
      Value half = arith::ShRUIOp::create(b, loc, l.sub(end, begin), l.splat(1));
      Value inPair = l.sub(index, begin);
      // The pair's first half is +m, its second -m; m = 0 is one block.
      Value negative = arith::AndIOp::create(b, loc, l.cmp(P::ne, m, l.splat(0)),
                                             l.cmp(P::uge, inPair, half));
      index = l.select(negative, l.sub(inPair, half), inPair);
      take(gr, l.select(negative, l.neg(m), m));
    }
  }
  PVQUnit out;
  for (Group &gr : groups) {
    if (pvq.nibbles) {
      // The whole codeword's fields, and amp / ||y||, looked up.
      Value lo = gr.codeword;
      Value halves[2] = {lo, arith::ShRUIOp::create(b, loc, lo, l.splat(16))};
      Value magic = l.splat(0x4B000000);
      for (int64_t p = 0; p < D; ++p) {
        int64_t e = pvqShift(pvq, p);
        Value bits = arith::AndIOp::create(b, loc, halves[p / 4], l.splat(int64_t(15) << e));
        Value biased = vector::BitCastOp::create(b, loc, l.vec(f32),
                                                 arith::OrIOp::create(b, loc, bits, magic));
        Value bias = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(l.vec(f32), float(8388608.0 + 8.0 * double(1 << e))));
        out.ys.push_back(arith::SubFOp::create(b, loc, biased, bias));
      }
      out.scales.push_back(gr.scale);
      continue;
    }
    if (pvq.tail) {
      // The rest of the codeword from the table: k's block, then the
      // index within P(tail, k) (clamped: an index outside the codebook
      // must not read past the table).
      Value at = pvq.tail < D ? l.add(l.gather(tables.tailOffsets, gr.k), gr.index) : gr.index;
      int64_t entries = cast<RankedTensorType>(tables.tail.getType()).getDimSize(0);
      at = arith::MinUIOp::create(b, loc, at, l.splat(entries - 1));
      Value word = l.gather(tables.tail, at);
      Type wordType = cast<VectorType>(word.getType()).getElementType();
      for (int64_t p = 0; p < pvq.tail; ++p) {
        Value shifted = p ? arith::ShRUIOp::create(b, loc, word, l.splat(8 * p, wordType)) : word;
        Value byte = arith::TruncIOp::create(b, loc, l.vec(b.getI8Type()), shifted);
        take(gr, arith::ExtSIOp::create(b, loc, l.i32Vec(), byte));
      }
    }
    for (Value y : gr.ys)
      out.ys.push_back(arith::SIToFPOp::create(b, loc, l.vec(f32), y));
    Value norm =
        math::SqrtOp::create(b, loc, arith::SIToFPOp::create(b, loc, l.vec(f32), gr.sumSq));
    // amp / ||y||, ||y|| = sqrt((float)sum y^2) as the reference decoder.
    out.scales.push_back(arith::DivFOp::create(b, loc, amplitude(l, pvq, panel, gr.ampCode), norm));
  }
  return out;
}

SmallVector<Value> mlir::lq::cpu::decodePVQWeights(OpBuilder &b, Location loc,
                                                   const PackedWeight &w, const PVQTables &tables,
                                                   Value panel, Value u) {
  PVQUnit unit = decodePVQUnit(b, loc, w, tables, panel, u);
  auto f32Vec = VectorType::get({kPanel}, b.getF32Type());
  SmallVector<Value> out;
  for (auto [k, y] : llvm::enumerate(unit.ys)) {
    int64_t D = w.pvq.dim, e = pvqShift(w.pvq, k % D);
    Value scale = unit.scales[k / D];
    if (e)
      scale = arith::MulFOp::create(
          b, loc, scale,
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32Vec, std::ldexp(1.0f, -e))));
    out.push_back(arith::MulFOp::create(b, loc, y, scale));
  }
  return out;
}

void mlir::lq::cpu::accumulatePVQUnits(OpBuilder &b, Location loc, const PackedWeight &w,
                                       const PVQTables &tables, Value x,
                                       SmallVectorImpl<Value> &acc, int64_t rows, int64_t chains,
                                       Value m, Value panel, Value u0, int64_t units,
                                       ValueRange looked) {
  const int64_t D = w.pvq.dim;
  LaneBuilder l{b, loc};
  for (int64_t i = 0; i < units; ++i) {
    Value u = arith::AddIOp::create(b, loc, u0, l.idx(i));
    PVQUnit unit = decodePVQUnit(b, loc, w, tables, panel, u, SmallVector<Value>(looked));
    Value k0 = arith::MulIOp::create(b, loc, u, l.idx(w.unit()));
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::AddIOp::create(b, loc, m, l.idx(r));
      for (auto [g, scale] : llvm::enumerate(unit.scales)) {
        Value dot;
        for (int64_t p = 0; p < D; ++p) {
          Value k = arith::AddIOp::create(b, loc, k0, l.idx(g * D + p));
          Value xv =
              vector::BroadcastOp::create(b, loc, l.vec(b.getF32Type()),
                                          tensor::ExtractOp::create(b, loc, x, ValueRange{row, k}));
          Value y = unit.ys[g * D + p];
          dot = dot ? (Value)vector::FMAOp::create(b, loc, xv, y, dot)
                    : (Value)arith::MulFOp::create(b, loc, xv, y);
        }
        Value &a = acc[r * chains + (i * unit.scales.size() + g) % chains];
        a = vector::FMAOp::create(b, loc, dot, scale, a);
      }
    }
  }
}

void mlir::lq::cpu::accumulatePVQLookingAhead(OpBuilder &b, Location loc, const PackedWeight &w,
                                              const PVQTables &tables, Value x,
                                              SmallVectorImpl<Value> &acc, int64_t rows,
                                              int64_t chains, Value m, Value panel, Value u0,
                                              int64_t units) {
  LaneBuilder l{b, loc};
  size_t n = acc.size();
  SmallVector<Value> init(acc.begin(), acc.end());
  init.append(lookupPVQUnit(b, loc, w, tables, panel, u0));
  Value last = arith::AddIOp::create(b, loc, u0, l.idx(units - 1));
  auto loop =
      scf::ForOp::create(b, loc, u0, arith::AddIOp::create(b, loc, u0, l.idx(units)), l.idx(1),
                         init, [&](OpBuilder &, Location, Value u, ValueRange carried) {
                           SmallVector<Value> a(carried.take_front(n));
                           Value next = arith::MinUIOp::create(
                               b, loc, arith::AddIOp::create(b, loc, u, l.idx(1)), last);
                           SmallVector<Value> ahead = lookupPVQUnit(b, loc, w, tables, panel, next);
                           accumulatePVQUnits(b, loc, w, tables, x, a, rows, chains, m, panel, u, 1,
                                              carried.drop_front(n));
                           a.append(ahead);
                           scf::YieldOp::create(b, loc, a);
                         });
  acc.assign(loop.getResults().begin(), loop.getResults().begin() + n);
}
