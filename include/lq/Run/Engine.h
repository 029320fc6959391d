//===- Engine.h - JIT execution of lowered model modules -------*- C++ -*-===//
//
// Runs @forward / @decode of a model module lowered to the LLVM dialect with
// mlir::ExecutionEngine, through their C interfaces (_mlir_ciface_*), and
// emits the same code as a relocatable object for ahead-of-time use.
//
//===----------------------------------------------------------------------===//

#ifndef LQ_RUN_ENGINE_H
#define LQ_RUN_ENGINE_H

#include "lq/Run/ModelModule.h"
#include "lq/Runtime/CInterfaceModel.h"
#include "lq/Runtime/MemRef.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lq::run {

class JITCode;

using runtime::MemRef;
using runtime::viewOf;

struct EngineOptions {
  /// LLVM IR optimization and code generation level (0-3).
  unsigned optLevel = 3;
  /// Host symbols the compiled code may call (e.g. calibration hooks), by
  /// their unmangled names.
  llvm::StringMap<void *> symbols;
  /// Where compiled objects are kept, named by a hash of the code, the LLVM
  /// version, the host CPU and the optimization level (empty: no cache). A
  /// module whose code was compiled before loads without LLVM: with its
  /// weights external, every quantization of one architecture shares it.
  std::string objectCache;
};

/// The object cache quant-run uses by default: $QUANT_OPT_CACHE_DIR, else
/// $XDG_CACHE_HOME/quant-opt, else ~/.cache/quant-opt (empty if none).
std::string defaultObjectCache();

/// Threads the compiled kernels' parallel loops use in calls made from the
/// calling thread (at least 1). Callers that already run several calls at
/// once (one per thread) give each 1.
void setKernelThreads(unsigned threads);

/// Frees the data of every builtin dense_resource blob of `lowered`'s
/// context that `lowered` does not refer to: the weights as the module held
/// them before lowering re-packed them, which would otherwise stay next to
/// the packed copies the compiled code reads. Only for a context in which no
/// other module refers to them. Returns the bytes freed.
size_t releaseUnreferencedBlobs(mlir::ModuleOp lowered);

/// A JIT-compiled model, called through the entry points' C interfaces.
/// forward() is safe to call from several threads at once (each call
/// allocates its own temporaries); decode states are not shared between
/// threads.
class ModelRunner : public runtime::CInterfaceModel {
public:
  /// `lowered` must be in the LLVM dialect (see lowerToLLVMDialect); `info`
  /// is what readModelInfo returned before lowering. The compiled code reads
  /// external weights (lq-cpu-external-weights) where `lowered`'s context
  /// holds them: the context must outlive the runner.
  static llvm::Expected<std::unique_ptr<ModelRunner>>
  create(mlir::ModuleOp lowered, const ModelInfo &info,
         const EngineOptions &options = {});
  ~ModelRunner() override;

  /// Whether the code came from the object cache instead of LLVM.
  bool loadedFromCache() const;

  /// The OpenMP threads of the compiled parallel loops (lq::run::setKernelThreads).
  void setKernelThreads(unsigned threads) const override;

private:
  ModelRunner(const ModelInfo &info, std::unique_ptr<JITCode> code, void *forwardFn,
              void *decodeFn);
  std::unique_ptr<JITCode> code;
};

/// An f32 tensor on the host, row-major.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numElements() const;
};

/// The shapes of a function's f32 tensor arguments and results
/// (mlir::ShapedType::kDynamic for a dynamic size).
struct FunctionSignature {
  std::string name;
  std::vector<std::vector<int64_t>> args, results;
};

/// The signature of @`name` (empty: the module's one public function with a
/// body); an error unless every argument and result is a ranked f32 tensor.
llvm::Expected<FunctionSignature> readSignature(mlir::ModuleOp module,
                                                llvm::StringRef name);

/// Marks the function of `sig` for the C interface FunctionRunner calls;
/// before lowering.
void prepareForCall(mlir::ModuleOp module, const FunctionSignature &sig);

/// Any function of f32 tensors of a JIT-compiled module (model IR exported by
/// other frontends has no @forward). call() is safe from several threads.
/// As for ModelRunner, the lowered module's context must outlive it.
class FunctionRunner {
public:
  static llvm::Expected<std::unique_ptr<FunctionRunner>>
  create(mlir::ModuleOp lowered, const FunctionSignature &sig,
         const EngineOptions &options = {});
  ~FunctionRunner();
  const FunctionSignature &getSignature() const { return signature; }
  /// The results of the function on `args` (shapes checked against the
  /// signature).
  llvm::Expected<std::vector<HostTensor>>
  call(llvm::ArrayRef<HostTensor> args) const;

  /// The packed entry point of the function's C interface, for callers that
  /// keep their own buffers (a timing loop must not copy): args[0] points to
  /// a pointer to the result descriptor(s), args[1 + i] to a pointer to
  /// argument i's MemRef descriptor. Results are malloc'ed by the callee and
  /// freed by the caller (unless they are an argument's buffer).
  using PackedFunction = void (*)(void **args);
  PackedFunction getPackedFunction() const { return packedFn; }

private:
  FunctionRunner() = default;
  FunctionSignature signature;
  PackedFunction packedFn = nullptr;
  std::unique_ptr<JITCode> code;
};

/// Compiles `lowered` for the host CPU to a relocatable (PIC) object file
/// holding the entry points and their _mlir_ciface_ wrappers. Written whole
/// or not at all.
llvm::Error writeObjectFile(mlir::ModuleOp lowered, llvm::StringRef path,
                            unsigned optLevel = 3);

/// The system's C compiler driver: `cc`, else `clang-22`; the error says it
/// cannot `purpose` without one.
llvm::Expected<std::string> findCCompiler(llvm::StringRef purpose);
/// Runs the program `args[0]` (a C compiler driver, ptxas) with `args`; on
/// failure the error says `what` failed and holds the program's output.
llvm::Error runProgram(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef what);

/// Compiles `lowered` as writeObjectFile does and links it into a shared
/// library with the system's C compiler driver (cc, else clang-22),
/// exporting `info` as runtime::kModelInfoSymbol beside the entry points (a
/// self-describing model for runtime::SharedLibraryModel). A cuda model's
/// mgpu* calls stay undefined, for the loading executable to resolve.
///
/// With `weightsPath`, the weights leave the code (lq-weight-table): they
/// are written there as safetensors, listed in the library's description,
/// and bound by the loader. Both files are written whole or not at all.
llvm::Error writeSharedLibrary(mlir::ModuleOp lowered, ModelInfo info, llvm::StringRef path,
                               unsigned optLevel = 3, llvm::StringRef weightsPath = "");

/// Writes a C header declaring the C interfaces of the entry points in
/// `info`, their memref descriptors and the model's dimensions as macros.
void writeCHeader(llvm::raw_ostream &os, const ModelInfo &info,
                  llvm::StringRef guardName);

} // namespace lq::run

#endif // LQ_RUN_ENGINE_H
