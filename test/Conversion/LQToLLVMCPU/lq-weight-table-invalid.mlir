// RUN: quant-opt %s --lq-weight-table="min-bytes=64" -verify-diagnostics -o /dev/null

// A weight's address in another global's initializer has no function to
// load its slot in.

module {
  llvm.mlir.global private constant @w(dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]> : tensor<64xi8>) {addr_space = 0 : i32} : !llvm.array<64 x i8>
  llvm.mlir.global private constant @refers() {addr_space = 0 : i32} : !llvm.ptr {
    // expected-error @below {{lq-weight-table: the address of 'w' is taken outside a function}}
    %0 = llvm.mlir.addressof @w : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
}
