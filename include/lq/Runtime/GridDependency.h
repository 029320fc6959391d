//===- GridDependency.h - Kernels that may launch before their predecessor ===//
//
// lq-lower-to-nvptx emits `griddepcontrol.wait` before a kernel's first
// memory access when the kernel may start while the previous kernel on its
// stream still runs (programmatic dependent launch, sm_90+). The runtime
// finds those kernels in the PTX it loads. Header-only and dependency-free,
// so the runtime library stays self-contained.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_RUNTIME_GRIDDEPENDENCY_H
#define LQ_RUNTIME_GRIDDEPENDENCY_H

#include <string>
#include <string_view>
#include <vector>

namespace lq::runtime {

/// The external i32 global of a kernel module all of whose kernels wait on
/// the grid dependency (lq-gpu-dependent-launch): found with
/// cuModuleGetGlobal, whatever the module's format.
inline constexpr const char *kGridDependentGlobal = "lq_grid_dependent";

/// The `.entry` kernels of a PTX text whose body executes
/// `griddepcontrol.wait`.
inline std::vector<std::string> gridDependentKernels(std::string_view ptx) {
  std::vector<std::string> names;
  constexpr std::string_view entry = ".entry ";
  size_t at = ptx.find(entry);
  while (at != std::string_view::npos) {
    size_t nameStart = at + entry.size();
    size_t nameEnd = ptx.find_first_of("( \t\r\n", nameStart);
    size_t next = ptx.find(entry, nameStart);
    std::string_view body =
        ptx.substr(nameStart, next == std::string_view::npos ? next : next - nameStart);
    if (nameEnd != std::string_view::npos && nameEnd > nameStart &&
        body.find("griddepcontrol.wait") != std::string_view::npos)
      names.emplace_back(ptx.substr(nameStart, nameEnd - nameStart));
    at = next;
  }
  return names;
}

} // namespace lq::runtime

#endif // LQ_RUNTIME_GRIDDEPENDENCY_H
