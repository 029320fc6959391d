//===- ResourceBlobs.cpp - checking resource blobs before parsing ---------===//

#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace llvm;

/// The magic number that starts MLIR bytecode.
static constexpr StringLiteral kBytecodeMagic("ML\xefR");

Error mlir::lq::checkResourceBlobs(MemoryBufferRef buffer) {
  StringRef text = buffer.getBuffer();
  if (text.starts_with(kBytecodeMagic))
    return Error::success();
  auto error = [&](size_t offset, const Twine &message) {
    StringRef before = text.take_front(offset);
    size_t line = before.count('\n') + 1;
    size_t lineStart = before.rfind('\n');
    size_t column = offset - (lineStart == StringRef::npos ? 0 : lineStart + 1) + 1;
    return createStringError(inconvertibleErrorCode(),
                             formatv("{0}:{1}:{2}: error: {3}", buffer.getBufferIdentifier(),
                                     line, column, message));
  };
  // Resource sections open with `{-#` at the start of a line (after
  // indentation) and close with `#-}`.
  for (size_t pos = 0; (pos = text.find("{-#", pos)) != StringRef::npos;) {
    size_t lineStart = text.rfind('\n', pos);
    StringRef indent = text.slice(lineStart == StringRef::npos ? 0 : lineStart + 1, pos);
    size_t end = text.find("#-}", pos);
    if (end == StringRef::npos)
      end = text.size();
    if (!indent.trim().empty()) {
      pos += 3;
      continue;
    }
    StringRef section = text.slice(pos, end);
    for (size_t at = 0; (at = section.find("\"0x", at)) != StringRef::npos; at += 3) {
      size_t offset = pos + at;
      // The key: the word before the ':' that precedes the string.
      StringRef head = section.take_front(at).rtrim();
      StringRef key = head.ends_with(":") ? head.drop_back().rtrim() : StringRef();
      key = key.substr(key.find_last_of(" \t\n{,") + 1).trim('"');
      StringRef hex = section.drop_front(at + 3);
      hex = hex.take_until([](char c) { return !isHexDigit(c); });
      if (hex.size() < 8)
        return error(offset, formatv("resource blob '{0}' is shorter than its 4-byte alignment "
                                     "word",
                                     key));
      uint32_t alignment = 0;
      for (int i = 3; i >= 0; --i)
        alignment = alignment << 8 | (hexDigitValue(hex[2 * i]) << 4 | hexDigitValue(hex[2 * i + 1]));
      if (!isPowerOf2_64(alignment) || alignment > kMaxResourceAlignment)
        return error(offset, formatv("resource blob '{0}' declares alignment {1}; expected a "
                                     "power of two in [1, {2}]",
                                     key, alignment, kMaxResourceAlignment));
    }
    pos = end;
  }
  return Error::success();
}
