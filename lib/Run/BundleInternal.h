//===- BundleInternal.h - Parts of quant-run emit shared by its files -*- C++ -*-===//
//
// Bundle.cpp finds the linears and writes the manifest, header and weights;
// BundleTargets.cpp builds each target's library. Not a public header.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_LIB_RUN_BUNDLEINTERNAL_H
#define LQ_LIB_RUN_BUNDLEINTERNAL_H

#include "lq/Dialect/LQ/IR/LQDialect.h"
#include "lq/Run/Bundle.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace lq::run::bundle_detail {

/// A tensor of a target's weights file.
struct BundleTensor {
  std::string name, dtype, part;
  std::vector<int64_t> shape;
  llvm::StringRef bytes;
};

/// One compiled instance of a cuda kernel (lq.gpu_abi).
struct CudaInstance {
  int64_t batch = 0, grid = 0, threads = 0;
  std::string kernel, prologue;
  int64_t prologueGrid = 0, prologueThreads = 0, scratchBytes = 0;
  bool operator==(const CudaInstance &o) const {
    return std::tie(batch, grid, threads, kernel, prologue, prologueGrid, prologueThreads,
                    scratchBytes) == std::tie(o.batch, o.grid, o.threads, o.kernel, o.prologue,
                                              o.prologueGrid, o.prologueThreads, o.scratchBytes);
  }
};

/// A kernel: one C function, shared by the linears of one weight type and
/// activation width.
struct Kernel {
  std::string name;
  mlir::lq::WeightType type;
  int64_t actBits = 0;
  /// The first linear of the kernel (the one whose weight builds it).
  size_t firstLinear = 0;
  /// cpu: the packed parts the kernel takes, and the lowered function.
  std::vector<std::string> cpuParts;
  std::string cpuFunction;
  /// cuda: instances by decreasing batch.
  std::vector<CudaInstance> instances;
  int64_t rows() const { return type.getRows(); }
  int64_t cols() const { return type.getCols(); }
};

/// A device code image of the cuda library.
struct CudaImage {
  std::string arch, bytes;
  bool cubin = false;
};

/// A quantized linear of the module.
struct Linear {
  std::string name, role;
  mlir::lq::ConstantOp weight;
  /// The lq.matmul's, for diagnostics of the functions built from it.
  mlir::Location loc;
  size_t kernel = 0;
  /// Indices into each target's tensors, in kernel-argument order.
  std::vector<size_t> cpuTensors, cudaTensors;
};

inline llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// `attr` as the IR prints it.
std::string printed(mlir::Attribute attr);
/// Writes `text` to `path` whole (a temporary file renamed into place).
llvm::Error writeText(const llvm::Twine &path, llvm::StringRef text);
/// The x86 features the host-compiled kernels may use that the runtime
/// checks before it runs them, comma-separated.
std::string hostFeatures();

/// cpu: packs every linear for the packed kernels, compiles the kernels into
/// `<bundleDir>/cpu`, and fills `tensors` and each linear's cpuTensors.
llvm::Error emitCPU(mlir::MLIRContext *ctx, std::vector<Linear> &linears,
                    std::vector<Kernel> &kernels, std::vector<BundleTensor> &tensors,
                    llvm::StringRef bundleDir, llvm::StringRef source,
                    const BundleOptions &options);
/// cuda: packs every linear's blob, builds the kernels for each chip into
/// `<bundleDir>/cuda`, and fills `tensors`, each linear's cudaTensors and
/// `images`.
llvm::Error emitCUDA(mlir::MLIRContext *ctx, std::vector<Linear> &linears,
                     std::vector<Kernel> &kernels, std::vector<BundleTensor> &tensors,
                     llvm::StringRef bundleDir, llvm::StringRef source,
                     const BundleOptions &options, std::vector<CudaImage> &images);

} // namespace lq::run::bundle_detail

#endif // LQ_LIB_RUN_BUNDLEINTERNAL_H
