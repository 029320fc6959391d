//===- FuzzGGUF.cpp - libFuzzer target: GGUF reader -----------------------===//
//
// Invariants: a checkpoint the reader accepts validates, and writing it back
// (serializeGGUF, F32, with its vocabulary when it has one) and reading that
// gives the same model bit for bit and the same vocabulary.
//
//===----------------------------------------------------------------------===//

#include "FuzzCheck.h"
#include "lq/Model/Readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::MemoryBufferRef buf(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz");
  auto vocab = lq::readGGUFVocab(buf);
  if (!vocab)
    llvm::consumeError(vocab.takeError());
  auto model = lq::readGGUF(buf);
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  lq::fuzz::check(model->validate("fuzz"), "an accepted GGUF checkpoint does not validate");
  const lq::GGUFVocab *v = vocab && !vocab->tokens.empty() ? &*vocab : nullptr;
  auto bytes = lq::serializeGGUF(*model, lq::GGUFTensorType::F32, v);
  if (!bytes)
    lq::fuzz::fail("an accepted GGUF checkpoint cannot be written",
                   llvm::toString(bytes.takeError()));
  llvm::MemoryBufferRef written(llvm::StringRef(bytes->data(), bytes->size()), "fuzz (written)");
  auto again = lq::readGGUF(written);
  if (!again)
    lq::fuzz::fail("a written GGUF checkpoint does not read back",
                   llvm::toString(again.takeError()));
  lq::fuzz::checkSameModel(*model, *again, "GGUF read -> write -> read");
  if (v) {
    auto vocabAgain = lq::readGGUFVocab(written);
    if (!vocabAgain)
      lq::fuzz::fail("a written GGUF vocabulary does not read back",
                     llvm::toString(vocabAgain.takeError()));
    if (vocabAgain->tokens != v->tokens || vocabAgain->merges != v->merges)
      lq::fuzz::fail("the GGUF vocabulary differs after the round trip");
  }
  return 0;
}
