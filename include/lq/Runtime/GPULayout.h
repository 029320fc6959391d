//===- GPULayout.h - Device weight layouts of the NVPTX kernels -*- C++ -*-===//
//
// The packed layouts that lq-lower-to-nvptx re-packs encoded weights into at
// compile time, and that hosts (quant-bench) use to prepare the same bytes.
// One implementation serves both, so the kernel and its data cannot drift
// apart. Layouts are documented in docs/GPULayout.md. No MLIR, LLVM or CUDA
// dependency.
//
//===----------------------------------------------------------------------===//
#ifndef LQ_RUNTIME_GPULAYOUT_H
#define LQ_RUNTIME_GPULAYOUT_H

#include "lq/Numerics/Encoding.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lq::gpu {

/// The W4 kernels work on 16x16 mma tiles (m16n8k16); a lane's 128-bit load
/// covers four k-tiles, so a warp reads a 16-row x 64-column chunk (512
/// contiguous bytes) per load instruction.
constexpr int64_t kTileRows = 16;
constexpr int64_t kChunkCols = 64;
constexpr int64_t kBlobAlign = 256;

/// Everything a W4 kernel reads about its weight, in one device buffer.
struct W4Blob {
  std::vector<uint8_t> bytes;
  int64_t codesOffset = 0;  ///< uint32 words, see docs/GPULayout.md
  int64_t scalesOffset = 0; ///< fp16, [N/16][groups][16] in lane order
  int64_t zerosOffset = -1; ///< fp16 1024 + zero, like scales; -1 if symmetric
  int64_t groups = 1;       ///< scale groups per row (1 for per-channel)
};

/// Why a `rows` x `cols` weight in `enc` has no W4 kernel tiling, or nullopt.
std::optional<std::string> checkW4Tiling(const UniformEncoding &enc, int64_t rows, int64_t cols);

/// Re-packs a uniform 4-bit weight (checked with checkW4Tiling) for the W4
/// kernels.
W4Blob packW4(const UniformEncoding &enc, const EncodedWeight &w);

/// Where nibble `p` (0..7, LSB first) of word `j` (0..3) of lane `lane` in
/// chunk `chunk` of row tile `tile` comes from in the [rows, cols] weight.
void w4Source(int64_t tile, int64_t chunk, int lane, int j, int p, int64_t &row, int64_t &col);

/// Index, in fp16 elements from the scales (or zeros) offset, of the
/// parameter of row `row` and group `group`.
inline int64_t w4ParamIndex(int64_t row, int64_t group, int64_t groups) {
  int64_t r = row % kTileRows;
  return ((row / kTileRows) * groups + group) * kTileRows + 2 * (r % 8) + r / 8;
}

/// GPTQT binary codes: planes of sign bits, one 32-bit word per lane, plane
/// and chunk. A lane's 128-bit load covers a *superchunk* of 4 chunks (256
/// columns) in plane-minor order, so its P loads per superchunk hold 4 * P
/// words: word `cc * P + i` is plane i of chunk cc.
constexpr int64_t kSuperChunkCols = 4 * kChunkCols;

struct BinaryBlob {
  std::vector<uint8_t> bytes;
  int64_t codesOffset = 0;  ///< uint32 words, see docs/GPULayout.md
  int64_t paramsOffset = 0; ///< fp16 pairs: alphas then the offset, per group
  int64_t groups = 1;
  unsigned planes = 1;
};

/// Why a `rows` x `cols` weight in `enc` has no binary kernel tiling, or
/// nullopt.
std::optional<std::string> checkBinaryTiling(const BinaryEncoding &enc, int64_t rows,
                                             int64_t cols);

/// Re-packs GPTQT binary codes (checked with checkBinaryTiling).
BinaryBlob packBinary(const BinaryEncoding &enc, const EncodedWeight &w);

/// Index, in 32-bit words from the params offset, of the (row g, row g + 8)
/// pair of parameter `p` (plane p's alpha for p < planes, the offset for
/// p == planes) of group `group` of the rows of tile `tile` seen by lane
/// group `g`.
inline int64_t binaryParamWord(int64_t tile, int64_t group, int64_t g, int64_t p,
                               int64_t groups, unsigned planes) {
  return ((tile * groups + group) * 8 + g) * (planes + 1) + p;
}

/// W4A8: symmetric 4-bit codes for int8 tensor cores (mma.m16n8k32 s8). Same
/// tiles, chunks, scales and blob sections as W4Blob; a lane's 128-bit word
/// per chunk holds its A fragments of the chunk's two 32-column k-tiles. Each
/// nibble is the 4-bit two's complement of q - 8, so `(word << 4) &
/// 0xF0F0F0F0` and `word & 0xF0F0F0F0` are int8 registers of 16 (q - 8).
std::optional<std::string> checkW4A8Tiling(const UniformEncoding &enc, int64_t rows,
                                           int64_t cols);
W4Blob packW4A8(const UniformEncoding &enc, const EncodedWeight &w);
/// Where nibble `p` (0..7) of word `word` (0..3) of lane `lane` in chunk
/// `chunk` of row tile `tile` comes from.
void w4a8Source(int64_t tile, int64_t chunk, int lane, int word, int p, int64_t &row,
                int64_t &col);

/// PVQ: indices of D-dimensional groups as 16-bit (when N(D, pulses) <=
/// 2^16) or 32-bit slots ([N][K/D], interleaved per warp pass, see
/// docs/GPULayout.md), amplitude codes as bytes ([N][K/G]), the per-row
/// amplitude step as f32, the block-start table and sqrtf(s) for every
/// possible ||y||^2 = s <= pulses^2 (the decoder's norm).
///
/// Block starts: with r positions after the current one and k pulses left,
/// the enumeration lists y = 0 first (N(r, k) indices), then for m = 1..k
/// the +m and the -m block (N(r, k - m) each). Entry m of row (r, k) is
/// where the pair for m starts (entry 0: 0, entry k + 1: N(r + 1, k), after
/// that UINT32_MAX), so the decoder finds y's magnitude by a branch-free
/// binary search instead of walking the blocks.
struct PVQBlob {
  std::vector<uint8_t> bytes;
  int64_t codesOffset = 0;  ///< one slot per group
  int64_t slotBits = 32;    ///< 16 or 32
  int64_t ampsOffset = 0;   ///< uint8 per amplitude group
  int64_t stepsOffset = 0;  ///< f32 per row
  int64_t tableOffset = 0;  ///< uint32 block starts at ((r - 1) * (pulses + 1)
                            ///< + k) * (pulses + 2) + m for 1 <= r < D, then
                            ///< f32 sqrt(s) for s = 0..pulses^2
  int64_t tableWords = 0, sqrtWords = 0;
};
/// Words of the block-start table for dimension `dim` and `pulses`.
constexpr int64_t pvqPrefixWords(int64_t dim, int64_t pulses) {
  return (dim - 1) * (pulses + 1) * (pulses + 2);
}
/// Bits of the slot holding one PVQ index: 16 when the indices fit, else 32.
int64_t pvqSlotBits(const PVQEncoding &enc);
/// Consecutive PVQ groups a lane loads with one 128-bit access.
inline int64_t pvqGroupsPerLoad(const PVQEncoding &enc) { return 128 / pvqSlotBits(enc); }
std::optional<std::string> checkPVQTiling(const PVQEncoding &enc, int64_t rows, int64_t cols);
PVQBlob packPVQ(const PVQEncoding &enc, const EncodedWeight &w);

/// FNV-1a 64 of a byte range: lets a host check that the bytes it packed are
/// the ones the compiler packed.
uint64_t fingerprint(const uint8_t *data, size_t size);

} // namespace lq::gpu

#endif // LQ_RUNTIME_GPULAYOUT_H
