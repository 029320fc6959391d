//===- LQ.td - the whole lq dialect -------------------------*- tablegen -*-===//
#ifndef LQ_TD
#define LQ_TD
include "lq/Dialect/LQ/IR/LQDialect.td"
include "lq/Dialect/LQ/IR/LQInterfaces.td"
include "lq/Dialect/LQ/IR/LQAttrs.td"
include "lq/Dialect/LQ/IR/LQTypes.td"
include "lq/Dialect/LQ/IR/LQOps.td"
#endif // LQ_TD
