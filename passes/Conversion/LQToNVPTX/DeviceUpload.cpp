//===- DeviceUpload.cpp - constant globals copied to the device -----------===//
//
// The upload function of lq/Conversion/LQToNVPTX/DeviceUpload.h. The cache
// holds a raw pointer; later calls rebuild the memref around it as the
// LLVM descriptor that finalize-memref-to-llvm gives the memref type
// (allocated and aligned pointer, offset 0, the static sizes and strides),
// which reconcile-unrealized-casts then folds away.
//
//===----------------------------------------------------------------------===//
#include "lq/Conversion/LQToNVPTX/DeviceUpload.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

/// The memref `type` (static, identity layout) over the device pointer
/// `ptr`, as its LLVM descriptor cast to the memref type.
static Value memrefFromPointer(OpBuilder &b, Location loc, MemRefType type, Value ptr) {
  auto i64 = b.getI64Type();
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptr.getType(), ptr.getType(), i64};
  if (rank > 0) {
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
  }
  auto descType = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  auto constant = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v)).getResult();
  };
  Value desc = LLVM::PoisonOp::create(b, loc, descType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(0), ArrayRef<int64_t>{2});
  SmallVector<int64_t> strides = computeStrides(type.getShape());
  for (int64_t d = 0; d < rank; ++d) {
    desc = LLVM::InsertValueOp::create(b, loc, desc, constant(type.getDimSize(d)),
                                       ArrayRef<int64_t>{3, d});
    desc = LLVM::InsertValueOp::create(b, loc, desc, constant(strides[d]),
                                       ArrayRef<int64_t>{4, d});
  }
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

func::FuncOp mlir::lq::getOrBuildDeviceUpload(ModuleOp module, memref::GlobalOp global) {
  std::string name = (global.getSymName() + "_device").str();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  Location loc = global.getLoc();
  auto type = global.getType();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  OpBuilder b(ctx);
  b.setInsertionPointAfter(global);
  // The device copy's address, null until the first call.
  auto cache = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false, LLVM::Linkage::Internal,
                                      name + "_ptr", Attribute());
  {
    Block *init = b.createBlock(&cache.getInitializerRegion());
    OpBuilder ib = OpBuilder::atBlockBegin(init);
    LLVM::ReturnOp::create(ib, loc, LLVM::ZeroOp::create(ib, loc, ptr).getResult());
  }
  b.setInsertionPointAfter(cache);
  auto func = func::FuncOp::create(b, loc, name, b.getFunctionType({}, {type}));
  func.setPrivate();
  func->setAttr(kDeviceUploadAttrName, b.getUnitAttr());
  OpBuilder fb = OpBuilder::atBlockBegin(func.addEntryBlock());
  Value addr = LLVM::AddressOfOp::create(fb, loc, cache);
  Value cached = LLVM::LoadOp::create(fb, loc, ptr, addr, 8);
  Value null = LLVM::ZeroOp::create(fb, loc, ptr);
  Value missing = LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::eq, cached, null);
  auto ifOp = scf::IfOp::create(
      fb, loc, missing,
      [&](OpBuilder &tb, Location l) {
        Value host = memref::GetGlobalOp::create(tb, l, type, global.getSymName());
        auto tokenType = gpu::AsyncTokenType::get(ctx);
        Value t0 = gpu::WaitOp::create(tb, l, tokenType, ValueRange{}).getAsyncToken();
        auto alloc = gpu::AllocOp::create(tb, l, type, tokenType, ValueRange{t0}, ValueRange{},
                                          ValueRange{});
        Value t1 = gpu::MemcpyOp::create(tb, l, tokenType, ValueRange{alloc.getAsyncToken()},
                                         alloc.getMemref(), host)
                       .getAsyncToken();
        gpu::WaitOp::create(tb, l, Type(), ValueRange{t1});
        Value index = memref::ExtractAlignedPointerAsIndexOp::create(tb, l, alloc.getMemref());
        Value i64 = arith::IndexCastUIOp::create(tb, l, tb.getI64Type(), index);
        Value device = LLVM::IntToPtrOp::create(tb, l, ptr, i64);
        LLVM::StoreOp::create(tb, l, device, addr, 8);
        scf::YieldOp::create(tb, l, alloc.getMemref());
      },
      [&](OpBuilder &eb, Location l) {
        scf::YieldOp::create(eb, l, memrefFromPointer(eb, l, type, cached));
      });
  func::ReturnOp::create(fb, loc, ifOp.getResults());
  return func;
}
