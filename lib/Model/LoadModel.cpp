//===- LoadModel.cpp - Format dispatch ------------------------------------===//

#include "lq/Model/Readers.h"
#include "Support.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace lq;

llvm::Expected<LlamaModel> lq::loadModel(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".safetensors"))
    return readHFModel(path);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return detail::makeError("cannot open '" + path +
                             "': " + buf.getError().message());
  llvm::StringRef bytes = (*buf)->getBuffer();
  // GGUF by magic, or by extension (then readGGUF reports the bad magic).
  if (bytes.starts_with("GGUF") || path.ends_with(".gguf"))
    return readGGUF((*buf)->getMemBufferRef());
  // A safetensors file under another name: u64 header length, then '{'.
  if (bytes.size() > 8 && bytes[8] == '{')
    return readHFModel(path);
  // llama2.c has no magic: anything else is tried as one, and a failure
  // says so unless the name claims the format.
  auto model = readLlama2c((*buf)->getMemBufferRef());
  if (model || path.ends_with(".bin"))
    return model;
  return detail::makeError(
      path + ": not a model directory, .safetensors or GGUF file, and " +
      "reading it as a llama2.c checkpoint failed: " +
      llvm::toString(model.takeError()));
}
