//===- Engine.cpp - JIT execution of lowered model modules ----------------===//

#include "lq/Run/Engine.h"

#include "lq/Conversion/LQToLLVMCPU/LQToLLVMCPU.h"
#include "lq/Dialect/LQ/Utils/ElementsData.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <cstring>
#include <mutex>
#include <unistd.h>

// The OpenMP runtime that the parallel loops of the compiled code call.
extern "C" void omp_set_num_threads(int);

namespace lq::run {

void setKernelThreads(unsigned threads) { omp_set_num_threads(std::max(1u, threads)); }

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

static llvm::CodeGenOptLevel codeGenLevel(unsigned optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

using mlir::lq::kExternalWeightsAttrName;
using runtime::isHeapBuffer;

/// The data of each external weight of `lowered`, by symbol; the module's
/// context owns it and must outlive the JIT.
static llvm::Expected<llvm::StringMap<void *>> externalWeights(mlir::ModuleOp lowered) {
  llvm::StringMap<void *> symbols;
  auto table = lowered->getAttrOfType<mlir::DictionaryAttr>(kExternalWeightsAttrName);
  if (!table)
    return symbols;
  for (mlir::NamedAttribute entry : table) {
    auto value = llvm::dyn_cast<mlir::ElementsAttr>(entry.getValue());
    mlir::FailureOr<llvm::ArrayRef<char>> bytes = mlir::failure();
    if (value)
      bytes = mlir::lq::getRawBytes(value);
    if (failed(bytes))
      return err(llvm::formatv("the data of external weight '{0}' cannot be read",
                               entry.getName().strref()));
    symbols[entry.getName().strref()] = const_cast<char *>(bytes->data());
  }
  return symbols;
}

size_t releaseUnreferencedBlobs(mlir::ModuleOp lowered) {
  llvm::StringSet<> referenced;
  auto note = [&](mlir::DenseResourceElementsAttr attr) {
    referenced.insert(attr.getRawHandle().getKey());
  };
  lowered->getAttrDictionary().walk(note);
  lowered->walk([&](mlir::Operation *op) { op->getAttrDictionary().walk(note); });
  auto &manager = mlir::DenseResourceElementsHandle::getManagerInterface(lowered.getContext())
                      .getBlobManager();
  std::vector<std::string> unused;
  size_t bytes = 0;
  manager.getBlobMap([&](const llvm::StringMap<mlir::DialectResourceBlobManager::BlobEntry> &map) {
    for (const auto &entry : map)
      if (const mlir::AsmResourceBlob *blob = entry.getValue().getBlob();
          blob && !blob->getData().empty() && !referenced.contains(entry.getKey())) {
        unused.push_back(entry.getKey().str());
        bytes += blob->getData().size();
      }
  });
  // An empty blob in its place runs the old one's deleter.
  for (const std::string &key : unused)
    manager.update(key, mlir::AsmResourceBlob());
#ifdef __GLIBC__
  // Blobs under glibc's (adaptive) mmap threshold lie in the heap, whose
  // free pages stay resident until trimmed.
  if (bytes)
    malloc_trim(0);
#endif
  return bytes;
}

/// Compiled code of a lowered module: JIT-compiled by mlir::ExecutionEngine,
/// or its object, compiled before, loaded from the object cache.
class JITCode {
public:
  llvm::Expected<void *> lookup(llvm::StringRef name) const {
    if (engine)
      return engine->lookup(name);
    auto address = jit->lookup(name);
    if (!address)
      return address.takeError();
    return address->toPtr<void *>();
  }
  /// The ExecutionEngine's packed wrapper of `name` (void (void **args)).
  llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef name) const {
    auto address = lookup(("_mlir_" + name).str());
    if (!address)
      return address.takeError();
    return reinterpret_cast<void (*)(void **)>(*address);
  }

  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

std::string defaultObjectCache() {
  if (const char *dir = std::getenv("QUANT_OPT_CACHE_DIR"))
    return dir;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    path = xdg;
  else if (!llvm::sys::path::home_directory(path))
    return "";
  else
    llvm::sys::path::append(path, ".cache");
  llvm::sys::path::append(path, "quant-opt");
  return std::string(path);
}

/// Cache entries: magic, xxh3 of the object, then the object.
static constexpr llvm::StringLiteral kCacheMagic = "LQOBJ1\n";

/// The cache file of `lowered`'s code: a hash of the module without its
/// external weights' data (the code reads it at run time), the optimization
/// level, the host CPU and its features, and the LLVM version.
static std::string cacheEntry(mlir::ModuleOp lowered, const EngineOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::Attribute weights = lowered->getAttr(kExternalWeightsAttrName);
  lowered->removeAttr(kExternalWeightsAttrName);
  lowered->print(os);
  if (weights)
    lowered->setAttr(kExternalWeightsAttrName, weights);
  os << "\nopt " << options.optLevel << "\ncpu " << llvm::sys::getHostCPUName() << "\n";
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    os << (feature.getValue() ? '+' : '-') << feature.getKey() << ",";
  os << "\nllvm " << LLVM_VERSION_STRING << "\n";
  llvm::XXH128_hash_t hash = llvm::xxh3_128bits(llvm::arrayRefFromStringRef(text));
  llvm::SmallString<256> path(options.objectCache);
  llvm::sys::path::append(path, llvm::formatv("{0:x-16}{1:x-16}.o", hash.high64, hash.low64)
                                    .str());
  return std::string(path);
}

/// The object of a cache entry, or null when it is missing or damaged.
static std::unique_ptr<llvm::MemoryBuffer> readCacheEntry(llvm::StringRef path) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return nullptr;
  llvm::StringRef bytes = (*file)->getBuffer();
  if (!bytes.consume_front(kCacheMagic) || bytes.size() < 8)
    return nullptr;
  uint64_t sum;
  std::memcpy(&sum, bytes.data(), 8);
  bytes = bytes.drop_front(8);
  if (sum != llvm::xxh3_64bits(llvm::arrayRefFromStringRef(bytes)))
    return nullptr;
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, path);
}

/// Writes `object` as the cache entry `path`, whole or not at all (another
/// process may be reading or writing the same entry).
static void writeCacheEntry(llvm::StringRef path, llvm::StringRef object) {
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return;
  llvm::SmallString<256> temp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return;
  bool ok;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    uint64_t sum = llvm::xxh3_64bits(llvm::arrayRefFromStringRef(object));
    os << kCacheMagic;
    os.write(reinterpret_cast<const char *>(&sum), 8);
    os << object;
    os.close();
    ok = !os.has_error();
  }
  if (!ok || llvm::sys::fs::rename(temp, path))
    llvm::sys::fs::remove(temp);
}

/// `symbols` as exported absolute addresses, their names mangled by `intern`.
static llvm::orc::SymbolMap
symbolMap(const llvm::StringMap<void *> &symbols,
          llvm::function_ref<llvm::orc::SymbolStringPtr(llvm::StringRef)> intern) {
  llvm::orc::SymbolMap map;
  for (const auto &entry : symbols)
    map[intern(entry.getKey())] = {llvm::orc::ExecutorAddr::fromPtr(entry.getValue()),
                                   llvm::JITSymbolFlags::Exported};
  return map;
}

/// Loads a cached object into a fresh JIT that resolves `symbols` and the
/// process's own symbols (the OpenMP runtime, libc).
static llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
loadObject(std::unique_ptr<llvm::MemoryBuffer> object, const llvm::StringMap<void *> &symbols) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  // The same linker as mlir::ExecutionEngine's, for the same objects.
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*builder))
                 .setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession &session) {
                   return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                       session, [](const llvm::MemoryBuffer &) {
                         return std::make_unique<llvm::SectionMemoryManager>();
                       });
                 })
                 .create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  main.addGenerator(std::move(*process));
  llvm::orc::SymbolMap map = symbolMap(
      symbols, [&](llvm::StringRef name) { return (*jit)->mangleAndIntern(name); });
  if (llvm::Error e = main.define(llvm::orc::absoluteSymbols(std::move(map))))
    return std::move(e);
  if (llvm::Error e = (*jit)->addObjectFile(std::move(object)))
    return std::move(e);
  if (llvm::Error e = (*jit)->initialize(main))
    return std::move(e);
  return std::move(*jit);
}

/// The compiled code of `lowered`, with `options.symbols` and its external
/// weights resolvable from it; through the object cache when one is set.
/// `entry` is a symbol to look up once, which compiles the module.
static llvm::Expected<std::unique_ptr<JITCode>>
createEngine(mlir::ModuleOp lowered, const EngineOptions &options, llvm::StringRef entry) {
  initializeNativeTarget();
  auto weights = externalWeights(lowered);
  if (!weights)
    return weights.takeError();
  llvm::StringMap<void *> symbols = options.symbols;
  for (const auto &weight : *weights)
    symbols[weight.getKey()] = weight.getValue();
  auto code = std::make_unique<JITCode>();
  std::string cachePath;
  if (!options.objectCache.empty()) {
    cachePath = cacheEntry(lowered, options);
    if (std::unique_ptr<llvm::MemoryBuffer> object = readCacheEntry(cachePath)) {
      auto jit = loadObject(std::move(object), symbols);
      if (jit) {
        code->jit = std::move(*jit);
        return std::move(code);
      }
      // A stale or foreign entry: compile again and replace it.
      llvm::consumeError(jit.takeError());
    }
  }

  auto transformer = mlir::makeOptimizingTransformer(std::min(options.optLevel, 3u),
                                                     /*sizeLevel=*/0,
                                                     /*targetMachine=*/nullptr);
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = codeGenLevel(options.optLevel);
  // Debugger/profiler registration costs time per object and is not needed.
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableObjectDump = !cachePath.empty();
  auto engine = mlir::ExecutionEngine::create(lowered, engineOptions);
  if (!engine)
    return err("cannot JIT-compile the model: " + llvm::toString(engine.takeError()));

  if (!symbols.empty()) {
    (*engine)->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
      return symbolMap(symbols, [&](llvm::StringRef name) { return interner(name); });
    });
  }
  code->engine = std::move(*engine);
  if (!cachePath.empty() && code->lookup(entry)) {
    // The engine's object cache holds the compiled object now.
    llvm::SmallString<256> dump;
    int fd;
    if (!llvm::sys::fs::createTemporaryFile("lq-object", "o", fd, dump)) {
      ::close(fd);
      code->engine->dumpToObjectFile(dump);
      if (auto object = llvm::MemoryBuffer::getFile(dump, false, false))
        writeCacheEntry(cachePath, (*object)->getBuffer());
      llvm::sys::fs::remove(dump);
    }
  }
  return std::move(code);
}

llvm::Expected<std::unique_ptr<ModelRunner>>
ModelRunner::create(mlir::ModuleOp lowered, const ModelInfo &info,
                    const EngineOptions &options) {
  auto code = createEngine(lowered, options,
                          info.hasDecode ? "_mlir_ciface_decode" : "_mlir_ciface_forward");
  if (!code)
    return code.takeError();
  auto lookup = [&](const char *name, bool wanted, void *&fn) -> llvm::Error {
    if (!wanted)
      return llvm::Error::success();
    auto sym = (*code)->lookup(name);
    if (!sym)
      return err(llvm::formatv("the compiled model has no '{0}': {1}", name,
                               llvm::toString(sym.takeError())));
    fn = *sym;
    return llvm::Error::success();
  };
  void *forwardFn = nullptr, *decodeFn = nullptr;
  if (llvm::Error e = lookup("_mlir_ciface_forward", info.hasForward, forwardFn))
    return std::move(e);
  if (llvm::Error e = lookup("_mlir_ciface_decode", info.hasDecode, decodeFn))
    return std::move(e);
  return std::unique_ptr<ModelRunner>(
      new ModelRunner(info, std::move(*code), forwardFn, decodeFn));
}

ModelRunner::ModelRunner(const ModelInfo &info, std::unique_ptr<JITCode> code, void *forwardFn,
                         void *decodeFn)
    : CInterfaceModel(info, forwardFn, decodeFn, runtime::BufferMemory::Host),
      code(std::move(code)) {}

ModelRunner::~ModelRunner() = default;

bool ModelRunner::loadedFromCache() const { return code->jit != nullptr; }

void ModelRunner::setKernelThreads(unsigned threads) const { run::setKernelThreads(threads); }

llvm::Error writeObjectFile(mlir::ModuleOp lowered, llvm::StringRef path,
                            unsigned optLevel) {
  if (lowered->hasAttr(kExternalWeightsAttrName))
    return err("the module's weights are external (lowered with external weights): an object "
               "file must carry them");
  initializeNativeTarget();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(lowered, llvmContext, "model");
  if (!llvmModule)
    return err("cannot translate the lowered module to LLVM IR");
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  // PIC so the object links into position-independent executables and
  // shared libraries alike.
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(codeGenLevel(optLevel));
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  mlir::ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(), tm->get());
  auto transformer = mlir::makeOptimizingTransformer(std::min(optLevel, 3u), 0, tm->get());
  if (llvm::Error e = transformer(llvmModule.get()))
    return e;

  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return err(llvm::formatv("cannot write '{0}': {1}", path, ec.message()));
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, out.os(), nullptr, llvm::CodeGenFileType::ObjectFile))
    return err("the host target cannot emit object files");
  pm.run(*llvmModule);
  out.os().flush();
  if (out.os().has_error())
    return err(llvm::formatv("error writing '{0}'", path));
  out.keep();
  return llvm::Error::success();
}

void writeCHeader(llvm::raw_ostream &os, const ModelInfo &info,
                  llvm::StringRef guard) {
  os << "/* Entry points of a model module compiled by quant-run (see\n"
        "   docs/ModelIR.md). Memref results are heap buffers owned by the\n"
        "   caller: free(result.allocated) when done, except that decode updates\n"
        "   the caches passed to it in place and returns those same buffers\n"
        "   (compare the allocated pointers before freeing). */\n";
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <stdint.h>\n\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << llvm::formatv("#define LQ_MODEL_DIM {0}\n#define LQ_MODEL_HIDDEN_DIM {1}\n"
                      "#define LQ_MODEL_LAYERS {2}\n#define LQ_MODEL_HEADS {3}\n"
                      "#define LQ_MODEL_KV_HEADS {4}\n#define LQ_MODEL_HEAD_DIM {5}\n"
                      "#define LQ_MODEL_VOCAB {6}\n#define LQ_MODEL_CONTEXT {7}\n\n",
                      info.dim, info.hiddenDim, info.layers, info.heads, info.kvHeads,
                      info.headDim, info.vocab, info.context);
  auto memref = [&](const char *name, const char *elem, int rank) {
    os << llvm::formatv("typedef struct {{\n  {0} *allocated;\n  {0} *aligned;\n"
                        "  int64_t offset;\n  int64_t sizes[{1}];\n"
                        "  int64_t strides[{1}];\n} {2};\n\n",
                        elem, rank, name);
  };
  memref("lq_memref_i64_1d", "int64_t", 1);
  memref("lq_memref_i64_2d", "int64_t", 2);
  memref("lq_memref_f32_2d", "float", 2);
  memref("lq_memref_f32_3d", "float", 3);
  memref("lq_memref_f32_4d", "float", 4);
  if (info.kvBits)
    memref("lq_memref_u8_3d", "uint8_t", 3);
  if (info.hasForward)
    os << "/* tokens [1, T] (1 <= T <= LQ_MODEL_CONTEXT) -> logits [1, T, vocab]. */\n"
          "void _mlir_ciface_forward(lq_memref_f32_3d *logits,\n"
          "                          lq_memref_i64_2d *tokens);\n\n";
  if (info.hasDecode && info.kvBits)
    os << llvm::formatv(
        "#define LQ_MODEL_KV_BITS {0}\n#define LQ_MODEL_KV_ROW_BYTES {1}\n\n"
        "typedef struct {{\n  lq_memref_f32_2d logits;      /* [1, vocab] */\n"
        "  lq_memref_u8_3d k_codes;      /* [layers, context, LQ_MODEL_KV_ROW_BYTES] */\n"
        "  lq_memref_f32_3d k_params;    /* [layers, context, 2]: scale, zero */\n"
        "  lq_memref_u8_3d v_codes;\n  lq_memref_f32_3d v_params;\n} lq_decode_results;\n\n"
        "/* One step at position pos[0] with the packed {0}-bit KV caches: a\n"
        "   position's codes hold all KV heads (kv-major, then head_dim), two\n"
        "   codes per byte low nibble first for 4 bits; value = (code - zero) *\n"
        "   scale (times the channel's static scale, compiled in). */\n"
        "void _mlir_ciface_decode(lq_decode_results *results,\n"
        "                         lq_memref_i64_1d *token, lq_memref_i64_1d *pos,\n"
        "                         lq_memref_u8_3d *k_codes, lq_memref_f32_3d *k_params,\n"
        "                         lq_memref_u8_3d *v_codes, lq_memref_f32_3d *v_params);\n\n",
        info.kvBits, info.packedRowBytes());
  else if (info.hasDecode)
    os << "typedef struct {\n  lq_memref_f32_2d logits;    /* [1, vocab] */\n"
          "  lq_memref_f32_4d k_cache;   /* [layers, kv_heads, context, head_dim] */\n"
          "  lq_memref_f32_4d v_cache;\n} lq_decode_results;\n\n"
          "/* One step at position pos[0] with the fp32 KV caches. */\n"
          "void _mlir_ciface_decode(lq_decode_results *results,\n"
          "                         lq_memref_i64_1d *token, lq_memref_i64_1d *pos,\n"
          "                         lq_memref_f32_4d *k_cache,\n"
          "                         lq_memref_f32_4d *v_cache);\n\n";
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
}

//===----------------------------------------------------------------------===//
// Any function of f32 tensors
//===----------------------------------------------------------------------===//

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Expected<FunctionSignature> readSignature(mlir::ModuleOp module, llvm::StringRef name) {
  mlir::func::FuncOp fn;
  if (name.empty()) {
    for (auto f : module.getOps<mlir::func::FuncOp>()) {
      if (f.isExternal() || f.isPrivate())
        continue;
      if (fn)
        return err(llvm::formatv("the module has several public functions (@{0}, @{1}): "
                                 "name one",
                                 fn.getSymName(), f.getSymName()));
      fn = f;
    }
    if (!fn)
      return err("the module has no public function with a body");
  } else {
    fn = module.lookupSymbol<mlir::func::FuncOp>(name);
    if (!fn || fn.isExternal())
      return err(llvm::formatv("the module has no function @{0} with a body", name));
  }
  FunctionSignature sig;
  sig.name = fn.getSymName().str();
  auto shapes = [&](mlir::TypeRange types, llvm::StringRef what,
                    std::vector<std::vector<int64_t>> &out) -> llvm::Error {
    for (auto [i, type] : llvm::enumerate(types)) {
      auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
      if (!tensor || !tensor.getElementType().isF32())
        return err(llvm::formatv("@{0}: {1} {2} is not a ranked tensor of f32", sig.name, what,
                                 i));
      out.emplace_back(tensor.getShape().begin(), tensor.getShape().end());
    }
    return llvm::Error::success();
  };
  if (llvm::Error e = shapes(fn.getArgumentTypes(), "argument", sig.args))
    return std::move(e);
  if (llvm::Error e = shapes(fn.getResultTypes(), "result", sig.results))
    return std::move(e);
  if (sig.results.empty())
    return err(llvm::formatv("@{0} returns nothing to compare", sig.name));
  return sig;
}

void prepareForCall(mlir::ModuleOp module, const FunctionSignature &sig) {
  auto fn = module.lookupSymbol<mlir::func::FuncOp>(sig.name);
  fn->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(module.getContext()));
}

llvm::Expected<std::unique_ptr<FunctionRunner>>
FunctionRunner::create(mlir::ModuleOp lowered, const FunctionSignature &sig,
                       const EngineOptions &options) {
  std::string symbol = "_mlir_ciface_" + sig.name;
  auto code = createEngine(lowered, options, symbol);
  if (!code)
    return code.takeError();
  std::unique_ptr<FunctionRunner> runner(new FunctionRunner());
  runner->signature = sig;
  auto packed = (*code)->lookupPacked(symbol);
  if (!packed)
    return err(llvm::formatv("the compiled module has no '{0}' (was prepareForCall run before "
                             "lowering?): {1}",
                             symbol, llvm::toString(packed.takeError())));
  runner->packedFn = *packed;
  runner->code = std::move(*code);
  return std::move(runner);
}

FunctionRunner::~FunctionRunner() = default;

llvm::Expected<std::vector<HostTensor>>
FunctionRunner::call(llvm::ArrayRef<HostTensor> args) const {
  const FunctionSignature &sig = signature;
  if (args.size() != sig.args.size())
    return err(llvm::formatv("@{0} takes {1} arguments, got {2}", sig.name, sig.args.size(),
                             args.size()));
  // Descriptors as words: allocated, aligned, offset, sizes[rank], strides[rank].
  std::vector<std::vector<int64_t>> argDescs;
  for (auto [i, arg] : llvm::enumerate(args)) {
    const std::vector<int64_t> &expected = sig.args[i];
    bool fits = arg.shape.size() == expected.size() &&
                (int64_t)arg.data.size() == arg.numElements();
    for (size_t d = 0; fits && d < expected.size(); ++d)
      fits = expected[d] == mlir::ShapedType::kDynamic ? arg.shape[d] >= 1
                                                      : arg.shape[d] == expected[d];
    if (!fits)
      return err(llvm::formatv("@{0}: argument {1} does not have the function's shape", sig.name,
                               i));
    std::vector<int64_t> desc(3 + 2 * arg.shape.size());
    float *data = const_cast<float *>(arg.data.data());
    desc[0] = desc[1] = reinterpret_cast<int64_t>(data);
    int64_t stride = 1;
    for (int d = (int)arg.shape.size() - 1; d >= 0; --d) {
      desc[3 + d] = arg.shape[d];
      desc[3 + arg.shape.size() + d] = stride;
      stride *= arg.shape[d];
    }
    argDescs.push_back(std::move(desc));
  }
  std::vector<size_t> resultOffsets;
  size_t resultWords = 0;
  for (const std::vector<int64_t> &shape : sig.results) {
    resultOffsets.push_back(resultWords);
    resultWords += 3 + 2 * shape.size();
  }
  std::vector<int64_t> results(resultWords, 0);
  // The C interface: (results*, arg0*, arg1*, ...).
  std::vector<void *> pointers;
  pointers.push_back(results.data());
  for (std::vector<int64_t> &desc : argDescs)
    pointers.push_back(desc.data());
  llvm::SmallVector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  packedFn(packed.data());

  std::vector<HostTensor> out;
  llvm::SmallPtrSet<void *, 4> freed;
  for (auto [r, shape] : llvm::enumerate(sig.results)) {
    const int64_t *desc = results.data() + resultOffsets[r];
    size_t rank = shape.size();
    HostTensor t;
    t.shape.assign(desc + 3, desc + 3 + rank);
    t.data.resize(t.numElements());
    const float *base = reinterpret_cast<const float *>(desc[1]) + desc[2];
    std::vector<int64_t> index(rank, 0);
    for (int64_t i = 0; i < (int64_t)t.data.size(); ++i) {
      int64_t offset = 0;
      for (size_t d = 0; d < rank; ++d)
        offset += index[d] * desc[3 + rank + d];
      t.data[i] = base[offset];
      for (int d = (int)rank - 1; d >= 0; --d) {
        if (++index[d] < t.shape[d])
          break;
        index[d] = 0;
      }
    }
    // Results are owned by the caller, unless they are an argument's buffer.
    void *allocated = reinterpret_cast<void *>(desc[0]);
    bool isArgument = llvm::any_of(args, [&](const HostTensor &a) {
      return static_cast<const void *>(a.data.data()) == allocated;
    });
    if (isHeapBuffer(allocated) && !isArgument && freed.insert(allocated).second)
      std::free(allocated);
    out.push_back(std::move(t));
  }
  return out;
}

} // namespace lq::run
