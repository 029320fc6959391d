//===- Safetensors.h - The safetensors container --------------*- C++ -*-===//
//
// The file format of Hugging Face checkpoints, also the one quant-opt writes
// packed weights in (a compiled model library's weights): 8 bytes of header
// length (little-endian), a JSON header naming each tensor's dtype, shape
// and byte range, then the tensors' bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_MODEL_SAFETENSORS_H
#define LQ_MODEL_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBufferRef.h"

#include <map>
#include <string>
#include <vector>

namespace lq {

/// Bytes per element of a safetensors dtype ("F32", "I8", ...), or 0 for a
/// name the format does not define (or a sub-byte type).
unsigned safetensorsElementBytes(llvm::StringRef dtype);

/// One tensor of a safetensors file; `bytes` points into the file's buffer
/// (when read) or at the data to write.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  llvm::StringRef bytes;
};

/// Parses and checks a whole safetensors file: header bounds, JSON, every
/// tensor's dtype, shape (no overflow), byte range (inside the data, the
/// size its shape and dtype need, no overlap). Tensors sorted by name;
/// `metadata`, when given, receives `__metadata__`'s string entries.
llvm::Expected<std::vector<SafetensorsTensor>>
parseSafetensors(llvm::MemoryBufferRef buffer,
                 std::map<std::string, std::string> *metadata = nullptr);

/// Writes `tensors` (in that order, the data section 64-byte aligned in the
/// file) and `metadata` to `path`, whole or not at all (a temporary file
/// renamed into place).
llvm::Error writeSafetensors(llvm::StringRef path, llvm::ArrayRef<SafetensorsTensor> tensors,
                             const std::map<std::string, std::string> &metadata = {});

} // namespace lq

#endif // LQ_MODEL_SAFETENSORS_H
