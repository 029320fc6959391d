//===- LoadModel.cpp - Format dispatch ------------------------------------===//

#include "lq/Model/Readers.h"
#include "Support.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace lq;

llvm::Expected<LlamaModel> lq::loadModel(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".safetensors"))
    return readHFModel(path);
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buf)
    return detail::makeError("cannot open '" + path +
                             "': " + buf.getError().message());
  if ((*buf)->getBuffer().starts_with("GGUF"))
    return readGGUF((*buf)->getMemBufferRef());
  return readLlama2c((*buf)->getMemBufferRef());
}
