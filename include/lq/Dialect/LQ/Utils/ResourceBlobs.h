//===- ResourceBlobs.h - checking resource blobs before parsing -*- C++ -*-===//
//
// MLIR's text parser aborts the process (an LLVM fatal error) on a resource
// blob whose alignment word is 0, and allocates whatever a huge alignment
// asks for. The tools that read modules check the blobs first, so such a file
// gets a located error instead.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_DIALECT_LQ_UTILS_RESOURCEBLOBS_H
#define LQ_DIALECT_LQ_UTILS_RESOURCEBLOBS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/MemoryBufferRef.h"

#include <cstdint>

namespace mlir::lq {

/// The largest blob alignment a module may declare (a page).
constexpr uint64_t kMaxResourceAlignment = 4096;

/// Checks every hex blob (`key: "0x..."`) in the `{-# dialect_resources #-}`
/// sections of a textual module: at least the 4-byte alignment word, and an
/// alignment that is a power of two in [1, kMaxResourceAlignment]. The error
/// reads `file:line:col: error: ...` and names the blob. Bytecode is left to
/// the bytecode reader, which checks alignments itself.
llvm::Error checkResourceBlobs(llvm::MemoryBufferRef buffer);

/// Reads a module (a file, or stdin for "-") for MLIR's parsers: the buffer
/// starts on a kMaxResourceAlignment boundary, which the bytecode reader
/// needs for the blobs it references in place (a file written with a
/// 256-byte aligned blob does not read back from an 8-byte aligned heap
/// buffer), and its resource blobs pass checkResourceBlobs.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readModuleFile(llvm::StringRef path);

} // namespace mlir::lq

#endif // LQ_DIALECT_LQ_UTILS_RESOURCEBLOBS_H
