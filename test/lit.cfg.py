# -*- Python -*-
import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANT_OPT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs", "unit", "corpus", "data"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quant_opt_obj_root, "test")
config.substitutions.append(("%PATH%", config.environment["PATH"]))
# quant-run's object cache: inside the build tree, not the user's home.
config.environment["QUANT_OPT_CACHE_DIR"] = os.path.join(config.quant_opt_obj_root, "test",
                                                         "object-cache")
config.substitutions.append(("%shlibext", config.llvm_shlib_ext))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%src_root", config.quant_opt_src_root))

# Upstream lowering of linalg-on-tensors modules to the LLVM dialect, and the
# runner invocation for a `func.func @main()` that prints with printMemrefF32.
config.substitutions.append(("%lower-to-llvm",
    "--one-shot-bufferize=bufferize-function-boundaries --convert-linalg-to-loops "
    "--convert-scf-to-cf --expand-strided-metadata --lower-affine --finalize-memref-to-llvm "
    "--convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm --convert-func-to-llvm "
    "--convert-cf-to-llvm --reconcile-unrealized-casts"))
config.substitutions.append(("%run-main",
    "mlir-runner -e main -entry-point-result=void "
    f"-shared-libs={config.mlir_lib_dir}/libmlir_runner_utils{config.llvm_shlib_ext} "
    f"-shared-libs={config.mlir_lib_dir}/libmlir_c_runner_utils{config.llvm_shlib_ext}"))
config.substitutions.append(("%python", sys.executable))
# The fuzz targets built as corpus-replay executables (test/fuzz).
config.substitutions.append(("%fuzz_bin", os.path.join(config.quant_opt_obj_root, "test", "fuzz")))

# Exported model IR too large to vendor (QUANT_OPT_EXTERNAL_IR_DIR): tests on
# it say REQUIRES: external-ir.
external_ir = getattr(config, "external_ir_dir", "")
if external_ir and os.path.isfile(os.path.join(external_ir, "heir_lola.mlir")):
    config.available_features.add("external-ir")
    config.substitutions.append(("%external_ir", external_ir))

# The CUDA driver runtime (lib/Runtime) is built where the CUDA headers are.
if getattr(config, "cuda_runtime", "") == "ON":
    config.available_features.add("cuda-runtime")
# Kernel PTX is pinned (sha256) for the GCC build: the kernel builders'
# nested calls create ops in C++'s argument evaluation order, which differs
# between compilers, so another compiler's PTX is equivalent but not equal.
if getattr(config, "cxx_compiler_id", "") == "GNU":
    config.available_features.add("pinned-ptx")

# The host's int8 dot products, which the packed W4A8 kernels run on:
# AVX512-VNNI (vpdpbusd) and AVX2 (vpmaddubsw, vpmaddwd).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split() for line in cpuinfo if line.startswith("flags")), [])
    if "avx512_vnni" in flags:
        config.available_features.add("avx512-vnni")
    if "avx2" in flags:
        config.available_features.add("avx2")
except OSError:
    pass

# The C compiler CMake found (else cc on PATH): the bundle tests compile the
# bundle runtime with it, as quant-run emit does. %cc_sanitize is the
# AddressSanitizer and UBSan flags where a program built with them links and
# runs, so that a read out of bounds fails the test; empty elsewhere.
c_compiler = getattr(config, "c_compiler", "") or shutil.which("cc") or ""
if c_compiler and os.path.exists(c_compiler):
    import subprocess
    import tempfile
    config.available_features.add("cc")
    sanitize = "-fsanitize=address,undefined -fno-sanitize-recover=all"
    with tempfile.TemporaryDirectory() as tmp:
        source, exe = os.path.join(tmp, "t.c"), os.path.join(tmp, "t")
        with open(source, "w") as f:
            f.write("int main(void) { return 0; }\n")
        try:
            ok = subprocess.run([c_compiler] + sanitize.split() + [source, "-o", exe],
                                capture_output=True, timeout=60).returncode == 0 and \
                 subprocess.run([exe], capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    # Before %cc, which is a prefix of it.
    config.substitutions.append(("%cc_sanitize", sanitize if ok else ""))
    config.substitutions.append(("%cc", c_compiler))

# ptxas (CUDA toolkit) assembles the compile-only kernel sets when present.
if shutil.which("ptxas"):
    config.available_features.add("ptxas")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.quant_opt_tools_dir, config.llvm_tools_dir]
tools = ["quant-opt", "mlir-opt", "mlir-runner",
         ToolSubst("quant-import", unresolved="ignore"),
         ToolSubst("quant-run", unresolved="ignore"),
         ToolSubst("quant-run-aot", unresolved="ignore"),
         ToolSubst("quant-export", unresolved="ignore"),
         ToolSubst("quant-ref", unresolved="ignore"),
         ToolSubst("quant-bench-compile", unresolved="ignore"),
         ToolSubst("quant-bench-cpu", unresolved="ignore")]
llvm_config.add_tool_substitutions(tools, tool_dirs)
