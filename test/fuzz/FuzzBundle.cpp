//===- FuzzBundle.cpp - libFuzzer target: a bundle's weights file ---------===//
//
// The input is the weights file of a cpu bundle whose library is the bundle
// runtime (lib/Bundle/lq_bundle_runtime.c) with the tests' hand-written
// tables (test/Bundle/Inputs/fake_table.c). The runtime reads it from disk,
// so each input is written to a temporary bundle directory first.
//
// Invariants: lq_bundle_open accepts the file, or refuses it with
// LQ_ERR_FORMAT or LQ_ERR_MISMATCH, a message, and a NULL bundle; in an
// accepted bundle every tensor has the manifest's size and every kernel runs
// on its linear's weights (reading all of them: under ASan a tensor that
// reaches outside the file is a crash).
//
//===----------------------------------------------------------------------===//

#include "lq/Bundle/lq_bundle.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {
[[noreturn]] void fail(const char *what, const std::string &detail = "") {
  std::fprintf(stderr, "fuzz invariant violated: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

/// <tmp>/lq-fuzz-bundle-XXXXXX/cpu/weights.safetensors, removed at exit.
struct BundleDir {
  std::string dir, file;
  BundleDir() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/lq-fuzz-bundle-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!mkdtemp(name.data()))
      fail("cannot create a temporary directory", pattern);
    dir = name.data();
    if (mkdir((dir + "/cpu").c_str(), 0700) != 0)
      fail("cannot create", dir + "/cpu");
    file = dir + "/cpu/weights.safetensors";
  }
  ~BundleDir() {
    unlink(file.c_str());
    rmdir((dir + "/cpu").c_str());
    rmdir(dir.c_str());
  }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static BundleDir bundleDir;
  FILE *f = std::fopen(bundleDir.file.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0)
    fail("cannot write", bundleDir.file);
  lq_bundle *bundle = reinterpret_cast<lq_bundle *>(&bundleDir);
  int code = lq_bundle_open(bundleDir.dir.c_str(), &bundle);
  if (code != LQ_OK) {
    if (code != LQ_ERR_FORMAT && code != LQ_ERR_MISMATCH)
      fail("a weights file refused with an unexpected code", lq_last_error());
    if (bundle || !*lq_last_error())
      fail("a refused weights file left a bundle or no message", lq_last_error());
    return 0;
  }
  for (int i = 0, n = lq_bundle_linear_count(); i < n; ++i) {
    lq_linear_info info;
    const void *weights[8] = {};
    if (lq_bundle_linear_info(i, &info) != LQ_OK || info.num_weights > 8 ||
        lq_bundle_linear_weights(bundle, i, weights) != LQ_OK)
      fail("an accepted bundle's linear cannot be listed", lq_last_error());
    std::vector<float> x(info.cols, 1.0f), y(info.rows);
    if (info.fn(nullptr, x.data(), y.data(), weights, 1) != LQ_OK)
      fail("an accepted bundle's kernel fails", lq_last_error());
  }
  static const struct {
    const char *name;
    int64_t bytes;
  } expected[] = {{"lin0.weight", 48}, {"lin0.bias", 16}, {"lin1.weight", 32}, {"lin1.bias", 8}};
  for (const auto &t : expected) {
    const void *p = nullptr;
    int64_t bytes = -1;
    if (lq_bundle_tensor(bundle, t.name, &p, &bytes) != LQ_OK || !p || bytes != t.bytes)
      fail("an accepted bundle's tensor differs from the manifest", t.name);
  }
  lq_bundle_close(bundle);
  return 0;
}
