//===- DeviceUpload.h - constant globals copied to the device ---*- C++ -*-===//
//
// A constant memref.global (a weight, a packed weight, a table) read by GPU
// kernels: uploaded to device memory on first use and cached for the
// process. lq-lower-to-nvptx builds one per packed weight,
// lq-gpu-device-memory one per constant its functions read.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_CONVERSION_LQTONVPTX_DEVICEUPLOAD_H
#define LQ_CONVERSION_LQTONVPTX_DEVICEUPLOAD_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::lq {

/// The unit attribute that marks upload functions: the only calls a GPU
/// function's host side may make (lq-gpu-device-memory).
inline constexpr llvm::StringLiteral kDeviceUploadAttrName = "lq.device_upload";

/// `func.func private @<global>_device() -> <the global's memref type>`:
/// the device copy of the constant `global` (static shape, identity
/// layout), allocated and copied on the first call, its pointer cached in
/// the `llvm.mlir.global @<global>_device_ptr` for later calls. Built after
/// `global` the first time, found the next times.
func::FuncOp getOrBuildDeviceUpload(ModuleOp module, memref::GlobalOp global);

} // namespace mlir::lq

#endif // LQ_CONVERSION_LQTONVPTX_DEVICEUPLOAD_H
