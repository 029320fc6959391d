//===- LQ.td - the whole lq dialect -------------------------*- tablegen -*-===//
#ifndef LQ_TD
#define LQ_TD
include "LQ/LQDialect.td"
include "LQ/LQInterfaces.td"
include "LQ/LQAttrs.td"
include "LQ/LQTypes.td"
include "LQ/LQOps.td"
#endif // LQ_TD
