//===- PackedLayout.cpp - lq-cpu-packed-matmul's weight re-packing --------===//
//
// An lq.constant's codes re-packed at compile time into the panels the
// packed kernel reads (PackedMatmul.cpp's file comment, docs/Layout.md).
//
//===----------------------------------------------------------------------===//

#include "PackedWeight.h"

#include "lq/Dialect/LQ/Utils/ElementsData.h"
#include "lq/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"

using namespace mlir;
using namespace mlir::lq;
using namespace mlir::lq::cpu;

/// Binary codes re-packed into 16-row panels: per panel, 8 k and plane, a
/// byte per row holding its sign bits (k 0..3 in the low nibble: the index
/// into x's table of those 4 k), and per panel, group and plane the 16
/// rows' alphas, then their offsets.
static PackedWeight packBinary(OpBuilder &b, ConstantOp constant, const ::lq::EncodedWeight &ew,
                               unsigned id) {
  WeightType type = constant.getResult().getType();
  auto enc = std::get<::lq::BinaryEncoding>(type.getEncoding().getNumericEncoding());
  int64_t N = type.getRows(), K = type.getCols(), G = K / enc.group, P = enc.planes;
  int64_t panels = llvm::divideCeil(N, kPanel), rowBytes = ::lq::packedBytes(K, 1);
  std::vector<int8_t> signs(panels * (K / 8) * P * kPanel, 0);
  std::vector<float> coefs(panels * G * (P + 1) * kPanel, 0.0f);
  for (int64_t n = 0; n < N; ++n) {
    int64_t panel = n / kPanel, lane = n % kPanel;
    for (int64_t p = 0; p < P; ++p) {
      const uint8_t *row = &ew.codes[(p * N + n) * rowBytes];
      for (int64_t k = 0; k < K; ++k)
        if (::lq::getBits(row, k, 1))
          signs[((panel * (K / 8) + k / 8) * P + p) * kPanel + lane] |= 1 << (k % 8);
    }
    for (int64_t g = 0; g < G; ++g) {
      float *c = &coefs[(panel * G + g) * (P + 1) * kPanel + lane];
      for (int64_t p = 0; p < P; ++p)
        c[p * kPanel] = ::lq::halfToFloat(ew.scales[(n * G + g) * P + p]);
      c[P * kPanel] = ::lq::halfToFloat(ew.offsets[n * G + g]);
    }
  }
  Location loc = constant.getLoc();
  auto tensor = [&](ArrayRef<int64_t> shape, Type elt, StringRef part, auto values) -> Value {
    auto t = RankedTensorType::get(shape, elt);
    return arith::ConstantOp::create(
        b, loc, t, makeResource(t, llvm::formatv("lq_cpu_b{0}_{1}_{2}", P, id, part).str(), values));
  };
  PackedWeight w{constant.getResult(), N, K, enc.group, 1, {}, nullptr, nullptr};
  w.signPlanes = P;
  w.signs = tensor({panels, K / 8, P, kPanel}, b.getI8Type(), "signs", ArrayRef<int8_t>(signs));
  w.scales = tensor({panels, G, P + 1, kPanel}, b.getF32Type(), "coefs", ArrayRef<float>(coefs));
  return w;
}

/// The weight of `constant` re-packed into 16-row panels (file comment).
/// `int8Act`: the W4A8 layout (vpdpbusd units of 8 k, groups padded).
FailureOr<PackedWeight> mlir::lq::cpu::packWeight(OpBuilder &b, ConstantOp constant, unsigned id,
                                                  bool int8Act, int64_t pvqTableEntries) {
  FailureOr<::lq::EncodedWeight> storage = readStorage(constant);
  if (failed(storage))
    return failure();
  WeightType type = constant.getResult().getType();
  if (std::holds_alternative<::lq::BinaryEncoding>(type.getEncoding().getNumericEncoding()))
    return packBinary(b, constant, *storage, id);
  if (std::holds_alternative<::lq::PVQEncoding>(type.getEncoding().getNumericEncoding()))
    return packPVQ(b, constant, *storage, id, pvqTableEntries);
  auto enc = std::get<::lq::UniformEncoding>(type.getEncoding().getNumericEncoding());
  int64_t N = type.getRows(), K = type.getCols(), G = K / enc.group;
  int64_t panels = llvm::divideCeil(N, kPanel), rowBytes = ::lq::packedBytes(K, enc.bits);
  SmallVector<unsigned, 2> widths = planeWidths(enc.bits);
  int64_t padded = llvm::alignTo(enc.group, kVnniUnit), units = G * padded / kVnniUnit;
  std::vector<std::vector<int8_t>> planes;
  if (int8Act)
    planes.emplace_back(panels * units * 4 * kPanel, 0);
  else
    for (unsigned width : widths)
      planes.emplace_back(panels * (K * width / 8) * kPanel, 0);
  std::vector<float> scales(panels * G * kPanel, 0.0f);
  std::vector<int8_t> zeros(enc.symmetric ? 0 : panels * G * kPanel, 0);
  // Every row owns its bytes (its lane of each panel): rows are re-packed in
  // parallel (a 1B-parameter model has 10^9 codes to move).
  llvm::parallelFor(0, N, [&](int64_t n) {
    int64_t panel = n / kPanel, lane = n % kPanel;
    const uint8_t *row = &storage->codes[n * rowBytes];
    // One plane as wide as the codes (2, 4, 8 bits): its bytes of a row are
    // the row's bytes as stored (both LSB-first), moved whole.
    bool bytewise = !int8Act && widths.size() == 1 && widths[0] == enc.bits;
    for (int64_t i = 0, bytes = K * enc.bits / 8; bytewise && i < bytes; ++i)
      planes[0][(panel * bytes + i) * kPanel + lane] = row[i];
    for (int64_t k = 0; !bytewise && k < K; ++k) {
      uint64_t q = ::lq::getBits(row, k * enc.bits, enc.bits);
      if (int8Act) {
        // Byte t % 4 of lane `lane` of unit pk / 8; nibble t / 4 (file comment).
        int64_t pk = k / enc.group * padded + k % enc.group, t = pk % kVnniUnit;
        planes[0][((panel * units + pk / kVnniUnit) * kPanel + lane) * 4 + t % 4] |=
            q << (4 * (t / 4));
        continue;
      }
      unsigned shift = 0;
      for (auto [width, plane] : llvm::zip(widths, planes)) {
        int64_t perByte = 8 / width, bytes = K / perByte;
        uint8_t bits = (q >> shift) & ((1u << width) - 1);
        plane[(panel * bytes + k / perByte) * kPanel + lane] |= bits << (k % perByte * width);
        shift += width;
      }
    }
    for (int64_t g = 0; g < G; ++g) {
      scales[(panel * G + g) * kPanel + lane] = ::lq::halfToFloat(storage->scales[n * G + g]);
      if (!enc.symmetric)
        zeros[(panel * G + g) * kPanel + lane] = storage->zeroPoints[n * G + g];
    }
  });
  Location loc = constant.getLoc();
  auto tensor = [&](ArrayRef<int64_t> shape, Type elt, StringRef part, auto values) -> Value {
    auto t = RankedTensorType::get(shape, elt);
    return arith::ConstantOp::create(
        b, loc, t,
        makeResource(t, llvm::formatv("lq_cpu_w{0}_{1}_{2}", enc.bits, id, part).str(), values));
  };
  PackedWeight w{constant.getResult(), N, K, enc.group, enc.bits, {}, nullptr, nullptr};
  w.int8Act = int8Act;
  w.paddedGroup = int8Act ? padded : 0;
  unsigned shift = 0;
  if (int8Act)
    w.planes.push_back({4, 0,
                        tensor({panels, units, 4 * kPanel}, b.getI8Type(), "codes_a8",
                               ArrayRef<int8_t>(planes[0]))});
  for (auto [i, width] : llvm::enumerate(int8Act ? SmallVector<unsigned, 2>{} : widths)) {
    Value codes = tensor({panels, K * width / 8, kPanel}, b.getI8Type(),
                         i == 0 ? "codes" : "codes_hi", ArrayRef<int8_t>(planes[i]));
    w.planes.push_back({width, shift, codes});
    shift += width;
  }
  w.scales = tensor({panels, G, kPanel}, b.getF32Type(), "scales", ArrayRef<float>(scales));
  if (!enc.symmetric)
    w.zeroPoints = tensor({panels, G, kPanel}, b.getI8Type(), "zeros", ArrayRef<int8_t>(zeros));
  return w;
}
