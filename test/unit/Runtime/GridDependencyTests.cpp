//===- GridDependencyTests.cpp - Which kernels may launch early ----------===//
//
// The runtime launches a kernel before its predecessor has finished only
// when the kernel's own PTX waits on the grid dependency; a kernel that does
// not wait, or waits only in a later kernel's body, must not be picked.
//
//===----------------------------------------------------------------------===//
#include "lq/Runtime/GridDependency.h"
#include "gtest/gtest.h"

using lq::runtime::gridDependentKernels;
using Names = std::vector<std::string>;

TEST(GridDependency, PicksOnlyKernelsWhoseBodyWaits) {
  const char *ptx = R"(
.version 8.7
.target sm_90a
.address_size 64
	// .globl	lq_w4a8_gemm_0
.visible .entry lq_w4a8_gemm_0(
	.param .u64 p0
)
{
	griddepcontrol.wait;
	ret;
}
.visible .entry lq_act_quant_0(
	.param .u64 p0
)
{
	griddepcontrol.launch_dependents;
	ret;
}
.visible .entry lq_w4_gemv_1(.param .u64 p0)
{
	ret;
}
.visible .entry lq_w4a8_gemm_2(.param .u64 p0)
{
	griddepcontrol.wait;
	ret;
}
)";
  EXPECT_EQ(gridDependentKernels(ptx), (Names{"lq_w4a8_gemm_0", "lq_w4a8_gemm_2"}));
}

TEST(GridDependency, NoKernelsOrNoWait) {
  EXPECT_EQ(gridDependentKernels(""), Names{});
  EXPECT_EQ(gridDependentKernels(".version 8.7\n.target sm_90a\n"), Names{});
  EXPECT_EQ(gridDependentKernels(".visible .entry k(\n)\n{\n\tret;\n}\n"), Names{});
  // A truncated text with no name end is not a kernel.
  EXPECT_EQ(gridDependentKernels(".entry "), Names{});
}
