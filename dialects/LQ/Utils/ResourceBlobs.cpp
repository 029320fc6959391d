//===- ResourceBlobs.cpp - checking resource blobs before parsing ---------===//

#include "lq/Dialect/LQ/Utils/ResourceBlobs.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Alignment.h"

#include <algorithm>
#include <cstring>

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
  // A token-level scan, as MLIR's lexer sees the file: string literals
  // (with their escapes) and `//` comments are skipped, so a `{-#` or a
  // `"0x...` inside either is not a section or a blob, and a section opened
  // anywhere else is checked, wherever it starts on its line.
  bool inSection = false;
  StringRef lastWord; // The key before a blob: the last word or string seen.
  for (size_t pos = 0, e = text.size(); pos < e;) {
    char c = text[pos];
    if (c == '/' && text.substr(pos, 2) == "//") {
      pos = text.find('\n', pos);
      continue;
    }
    if (c == '"') {
      size_t close = pos + 1;
      while (close < e && text[close] != '"' && text[close] != '\n')
        close += text[close] == '\\' ? 2 : 1;
      StringRef body = text.slice(pos + 1, std::min(close, e));
      if (inSection && body.starts_with("0x")) {
        StringRef hex = body.drop_front(2);
        if (hex.size() < 8)
          return error(pos, formatv("resource blob '{0}' is shorter than its 4-byte alignment "
                                    "word",
                                    lastWord));
        uint32_t alignment = 0;
        for (int i = 3; i >= 0; --i) {
          if (!isHexDigit(hex[2 * i]) || !isHexDigit(hex[2 * i + 1]))
            return error(pos, formatv("resource blob '{0}' is not a hex string", lastWord));
          alignment = alignment << 8 | (hexDigitValue(hex[2 * i]) << 4 | hexDigitValue(hex[2 * i + 1]));
        }
        if (!isPowerOf2_64(alignment) || alignment > kMaxResourceAlignment)
          return error(pos, formatv("resource blob '{0}' declares alignment {1}; expected a "
                                    "power of two in [1, {2}]",
                                    lastWord, alignment, kMaxResourceAlignment));
      }
      lastWord = body;
      pos = close + 1;
      continue;
    }
    if (c == '{' && text.substr(pos, 3) == "{-#") {
      inSection = true;
      pos += 3;
      continue;
    }
    if (c == '#' && text.substr(pos, 3) == "#-}") {
      inSection = false;
      pos += 3;
      continue;
    }
    if (isAlnum(c) || c == '_' || c == '.' || c == '$' || c == '-') {
      size_t wordEnd = pos;
      while (wordEnd < e && (isAlnum(text[wordEnd]) || StringRef("_.$-").contains(text[wordEnd])))
        ++wordEnd;
      lastWord = text.slice(pos, wordEnd);
      pos = wordEnd;
      continue;
    }
    ++pos;
  }
  return Error::success();
}

Expected<std::unique_ptr<MemoryBuffer>> mlir::lq::readModuleFile(StringRef path) {
  const Align alignment(kMaxResourceAlignment);
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      path == "-" ? MemoryBuffer::getSTDIN()
                  : MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/true,
                                          /*IsVolatile=*/false, alignment);
  if (!file)
    return createStringError(file.getError(),
                             formatv("cannot read '{0}': {1}", path, file.getError().message()));
  std::unique_ptr<MemoryBuffer> buffer = std::move(*file);
  // stdin (and a file that was mapped) may start anywhere: copy when needed.
  if (!isAddrAligned(alignment, buffer->getBufferStart())) {
    std::unique_ptr<WritableMemoryBuffer> copy = WritableMemoryBuffer::getNewUninitMemBuffer(
        buffer->getBufferSize(), buffer->getBufferIdentifier(), alignment);
    std::memcpy(copy->getBufferStart(), buffer->getBufferStart(), buffer->getBufferSize());
    buffer = std::move(copy);
  }
  if (Error e = checkResourceBlobs(*buffer))
    return std::move(e);
  return std::move(buffer);
}
