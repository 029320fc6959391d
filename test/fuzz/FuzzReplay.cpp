//===- FuzzReplay.cpp - Runs a fuzz target over files, without libFuzzer -===//
//
// Linked with one Fuzz*.cpp target into an ordinary executable (the normal
// build, any compiler), so the seed corpora run in lit on every machine:
//
//   fuzz-replay-<target> FILE-OR-DIRECTORY...
//
// Feeds each file (a directory's files in name order) to
// LLVMFuzzerTestOneInput; a violated invariant aborts. Prints the number of
// inputs replayed.
//
//===----------------------------------------------------------------------===//

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!llvm::sys::fs::is_directory(argv[i])) {
      files.push_back(argv[i]);
      continue;
    }
    std::vector<std::string> inDir;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(argv[i], ec), end; it != end && !ec;
         it.increment(ec))
      if (!llvm::sys::fs::is_directory(it->path()))
        inDir.push_back(it->path());
    if (ec) {
      std::fprintf(stderr, "fuzz-replay: cannot list %s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    std::sort(inDir.begin(), inDir.end());
    files.insert(files.end(), inDir.begin(), inDir.end());
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 1;
  }
  for (const std::string &f : files) {
    auto buf = llvm::MemoryBuffer::getFile(f, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buf) {
      std::fprintf(stderr, "fuzz-replay: cannot read %s: %s\n", f.c_str(),
                   buf.getError().message().c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>((*buf)->getBufferStart()),
                           (*buf)->getBufferSize());
  }
  std::printf("replayed %zu inputs\n", files.size());
  return 0;
}
