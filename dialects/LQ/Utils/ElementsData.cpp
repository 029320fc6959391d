//===- ElementsData.cpp - moving numbers in and out of ElementsAttr ---------===//
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "lq/Dialect/LQ/IR/LQDialect.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#ifdef __linux__
#include <sys/mman.h>
#endif

using namespace mlir;
using namespace mlir::lq;

FailureOr<ArrayRef<char>> mlir::lq::getRawBytes(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  unsigned width = type.getElementTypeBitWidth();
  if (width % 8 != 0)
    return failure();
  size_t expected = (size_t)type.getNumElements() * (width / 8);
  ArrayRef<char> bytes;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat() && type.getNumElements() != 1)
      return failure();
    bytes = dense.getRawData();
  } else if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    bytes = blob->getData();
  } else {
    return failure();
  }
  if (bytes.size() != expected)
    return failure();
  return bytes;
}

FailureOr<std::vector<float>> mlir::lq::readFloats(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
    return failure();
  std::vector<float> out(type.getNumElements());
  // Splats are cheaper to read through the attribute than as bytes.
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
    std::fill(out.begin(), out.end(), dense.getSplatValue<APFloat>().convertToFloat());
    return out;
  }
  FailureOr<ArrayRef<char>> bytes = getRawBytes(attr);
  if (failed(bytes))
    return failure();
  const char *p = bytes->data();
  if (elementType.isF32()) {
    std::memcpy(out.data(), p, out.size() * sizeof(float));
    return out;
  }
  const llvm::fltSemantics &sem =
      elementType.isF16() ? APFloat::IEEEhalf() : APFloat::BFloat();
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, p + 2 * i, 2);
    out[i] = APFloat(sem, APInt(16, bits)).convertToFloat();
  }
  return out;
}

/// Blobs of at least this many bytes are mapped on 2 MiB pages.
static constexpr size_t kHugePage = size_t(2) << 20;

/// A copy of `bytes` in memory mapped at a 2 MiB boundary and advised onto
/// transparent huge pages (before it is written, so the page faults get huge
/// pages): kernels stream packed weights of 10^8 bytes, and on 4 KiB pages
/// every 4 KiB costs a TLB miss and stops the hardware prefetchers, which do
/// not cross pages. The tail past the last whole 2 MiB stays on small pages
/// (no memory is wasted). Null where mapping fails, or where the
/// environment sets LQ_HUGEPAGES=0 (for comparison).
static std::optional<AsmResourceBlob> hugePageCopy(ArrayRef<char> bytes, size_t align) {
#ifdef __linux__
  if (const char *env = std::getenv("LQ_HUGEPAGES"); env && StringRef(env) == "0")
    return std::nullopt;
  size_t size = (bytes.size() + 4095) & ~size_t(4095);
  // Map 2 MiB more than needed and unmap what lies before the boundary and
  // after the end.
  void *raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return std::nullopt;
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start)
    munmap(raw, aligned - start);
  if (uintptr_t end = start + size + kHugePage; end > aligned + size)
    munmap(reinterpret_cast<void *>(aligned + size), end - aligned - size);
  char *data = reinterpret_cast<char *>(aligned);
  madvise(data, size, MADV_HUGEPAGE); // advice only: small pages where refused
  std::memcpy(data, bytes.data(), bytes.size());
  return AsmResourceBlob(
      ArrayRef<char>(data, bytes.size()), align,
      [size](void *p, size_t, size_t) { munmap(p, size); }, /*dataIsMutable=*/true);
#else
  (void)bytes;
  (void)align;
  return std::nullopt;
#endif
}

DenseResourceElementsAttr mlir::lq::makeResource(ShapedType type, StringRef name,
                                                 ArrayRef<char> bytes) {
  unsigned width = type.getElementTypeBitWidth();
  size_t align = std::max<size_t>(width / 8, 1);
  if (bytes.size() >= kHugePage)
    if (std::optional<AsmResourceBlob> blob = hugePageCopy(bytes, align))
      return DenseResourceElementsAttr::get(type, name, std::move(*blob));
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align));
}

FailureOr<::lq::EncodedWeight> mlir::lq::readStorage(ConstantOp op) {
  WeightType type = op.getResult().getType();
  ::lq::EncodedWeight w;
  w.rows = type.getRows();
  w.cols = type.getCols();
  auto copy = [&](ElementsAttr attr, auto &out) -> LogicalResult {
    using T = typename std::decay_t<decltype(out)>::value_type;
    // A splat (`dense<1> : tensor<...xi8>`, as hand-written IR has) stores
    // one element: repeat it. The verifier gives each storage tensor the
    // element type of its T (i8 or f16).
    if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
      T value;
      std::memcpy(&value, dense.getRawData().data(), sizeof(T));
      out.assign(dense.getNumElements(), value);
      return success();
    }
    FailureOr<ArrayRef<char>> bytes = getRawBytes(attr);
    if (failed(bytes))
      return op.emitError("cannot read the packed data of ")
             << attr.getType() << " (blob missing or malformed)";
    out.resize(bytes->size() / sizeof(T));
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return success();
  };
  if (failed(copy(op.getCodes(), w.codes)) || failed(copy(op.getScales(), w.scales)))
    return failure();
  if (auto a = op.getZeroPoints(); a && failed(copy(*a, w.zeroPoints)))
    return failure();
  if (auto a = op.getAmplitudes(); a && failed(copy(*a, w.amplitudes)))
    return failure();
  if (auto a = op.getOffsets(); a && failed(copy(*a, w.offsets)))
    return failure();
  return w;
}

FailureOr<DenseElementsAttr> mlir::lq::decodeWithLibrary(ConstantOp op) {
  FailureOr<::lq::EncodedWeight> storage = readStorage(op);
  if (failed(storage))
    return failure();
  WeightType type = op.getResult().getType();
  std::vector<float> values =
      ::lq::decodeWeight(type.getEncoding().getNumericEncoding(), *storage);
  return DenseElementsAttr::get(llvm::cast<ShapedType>(type.getDecodedType()),
                                llvm::ArrayRef(values));
}

StringRef mlir::lq::safetensorsDType(Type type) {
  if (type.isF64())
    return "F64";
  if (type.isF32())
    return "F32";
  if (type.isF16())
    return "F16";
  if (type.isBF16())
    return "BF16";
  if (auto integer = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = integer.isUnsigned();
    switch (integer.getWidth()) {
    case 8:
      return isUnsigned ? "U8" : "I8";
    case 16:
      return isUnsigned ? "U16" : "I16";
    case 32:
      return isUnsigned ? "U32" : "I32";
    case 64:
      return isUnsigned ? "U64" : "I64";
    }
  }
  return "";
}
