//===- GPULayout.cpp - Device weight layouts of the NVPTX kernels -----------===//
#include "lq/Runtime/GPULayout.h"

#include <cmath>
#include <cstring>

namespace lq::gpu {

std::optional<std::string> checkW4Tiling(const UniformEncoding &enc, int64_t rows,
                                         int64_t cols) {
  if (enc.bits != 4)
    return "the GPU kernels take 4-bit uniform codes, not " + std::to_string(enc.bits) + "-bit";
  if (rows % kTileRows != 0)
    return "N = " + std::to_string(rows) + " is not a multiple of the 16-row mma tile";
  if (cols % kChunkCols != 0)
    return "K = " + std::to_string(cols) + " is not a multiple of the 64-column load chunk";
  if (enc.group % kChunkCols != 0)
    return "group " + std::to_string(enc.group) +
           " is not a multiple of the 64-column load chunk";
  if (cols % enc.group != 0)
    return "group " + std::to_string(enc.group) + " does not divide K = " + std::to_string(cols);
  return std::nullopt;
}

void w4Source(int64_t tile, int64_t chunk, int lane, int j, int p, int64_t &row, int64_t &col) {
  // Nibble p holds mma A element a_i, i = 2p (p < 4) or 2(p - 4) + 1, so
  // that (word >> 4q) & 0x000F000F puts a_{2q} and a_{2q+1} in the halves
  // of one f16x2 register.
  int i = p < 4 ? 2 * p : 2 * (p - 4) + 1;
  int g = lane / 4, t = lane % 4;
  row = tile * kTileRows + g + 8 * ((i >> 1) & 1);
  // The columns are permuted inside the chunk so that lane t's activations
  // for the four k-tiles are 16 contiguous halves: mma column 2t + e (+ 8)
  // of k-tile j reads chunk column 16t + 4j + e (+ 2).
  col = chunk * kChunkCols + 16 * t + 4 * j + 2 * (i >> 2) + (i & 1);
}

static int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

W4Blob packW4(const UniformEncoding &enc, const EncodedWeight &w) {
  W4Blob blob;
  int64_t rows = w.rows, cols = w.cols, rowBytes = cols / 2;
  int64_t tiles = rows / kTileRows, chunks = cols / kChunkCols;
  blob.groups = cols / enc.group;
  int64_t codeBytes = rows * cols / 2;
  blob.codesOffset = 0;
  blob.scalesOffset = alignUp(codeBytes, kBlobAlign);
  int64_t paramBytes = rows * blob.groups * 2;
  int64_t end = blob.scalesOffset + paramBytes;
  if (!enc.symmetric) {
    blob.zerosOffset = alignUp(end, kBlobAlign);
    end = blob.zerosOffset + paramBytes;
  }
  blob.bytes.assign(alignUp(end, kBlobAlign), 0);

  auto code = [&](int64_t r, int64_t c) -> uint32_t {
    uint8_t byte = w.codes[r * rowBytes + c / 2];
    return (c & 1) ? byte >> 4 : byte & 0xF;
  };
  uint8_t *codes = blob.bytes.data() + blob.codesOffset;
  for (int64_t tile = 0; tile < tiles; ++tile)
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      for (int lane = 0; lane < 32; ++lane)
        for (int j = 0; j < 4; ++j) {
          uint32_t word = 0;
          for (int p = 0; p < 8; ++p) {
            int64_t r, c;
            w4Source(tile, chunk, lane, j, p, r, c);
            word |= code(r, c) << (4 * p);
          }
          int64_t index = ((tile * chunks + chunk) * 32 + lane) * 4 + j;
          std::memcpy(codes + 4 * index, &word, 4); // little-endian, as the device
        }

  auto *scales = reinterpret_cast<uint16_t *>(blob.bytes.data() + blob.scalesOffset);
  auto *zeros = enc.symmetric
                    ? nullptr
                    : reinterpret_cast<uint16_t *>(blob.bytes.data() + blob.zerosOffset);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < blob.groups; ++g) {
      int64_t at = w4ParamIndex(r, g, blob.groups);
      scales[at] = w.scales[r * blob.groups + g];
      // fp16 1024 + z (0x6400 + z, exact for z < 1024): the kernel turns
      // nibbles into 1024 + q with one OR and subtracts this.
      if (zeros)
        zeros[at] = (uint16_t)(0x6400 + w.zeroPoints[r * blob.groups + g]);
    }
  return blob;
}

std::optional<std::string> checkBinaryTiling(const BinaryEncoding &enc, int64_t rows,
                                             int64_t cols) {
  if (enc.planes < 1 || enc.planes > 8)
    return "the GPU kernels take 1 to 8 binary planes, not " + std::to_string(enc.planes);
  if (rows % kTileRows != 0)
    return "N = " + std::to_string(rows) + " is not a multiple of the 16-row mma tile";
  if (cols % kSuperChunkCols != 0)
    return "K = " + std::to_string(cols) +
           " is not a multiple of the 256 columns a lane's 128-bit load of one plane covers";
  if (enc.group % kChunkCols != 0)
    return "group " + std::to_string(enc.group) +
           " is not a multiple of the 64-column load chunk";
  if (cols % enc.group != 0)
    return "group " + std::to_string(enc.group) + " does not divide K = " + std::to_string(cols);
  if (enc.group % kSuperChunkCols != 0 && kSuperChunkCols % enc.group != 0)
    return "group " + std::to_string(enc.group) +
           " neither divides nor is a multiple of the 256-column superchunk";
  return std::nullopt;
}

BinaryBlob packBinary(const BinaryEncoding &enc, const EncodedWeight &w) {
  BinaryBlob blob;
  const int64_t rows = w.rows, cols = w.cols, P = enc.planes;
  const int64_t tiles = rows / kTileRows, chunks = cols / kChunkCols;
  const int64_t rowBytes = (cols + 7) / 8;
  blob.groups = cols / enc.group;
  blob.planes = enc.planes;
  int64_t codeBytes = P * rows * cols / 8;
  blob.paramsOffset = alignUp(codeBytes, kBlobAlign);
  int64_t paramBytes = tiles * blob.groups * 8 * (P + 1) * 4;
  blob.bytes.assign(alignUp(blob.paramsOffset + paramBytes, kBlobAlign), 0);

  auto bit = [&](int64_t plane, int64_t r, int64_t c) -> uint32_t {
    return (w.codes[(plane * rows + r) * rowBytes + c / 8] >> (c % 8)) & 1;
  };
  uint8_t *codes = blob.bytes.data() + blob.codesOffset;
  for (int64_t tile = 0; tile < tiles; ++tile)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      int64_t super = chunk / 4, cc = chunk % 4;
      for (int lane = 0; lane < 32; ++lane)
        for (int64_t plane = 0; plane < P; ++plane) {
          // Bits of k-tile j, register q sit at 15 - (4j + q) (element
          // a_2q) and 31 - (4j + q) (element a_2q+1): `word << (4j + q)`
          // brings them to the f16 sign bits.
          uint32_t word = 0;
          for (int j = 0; j < 4; ++j)
            for (int q = 0; q < 4; ++q)
              for (int odd = 0; odd < 2; ++odd) {
                int p = odd ? 4 + q : q; // w4Source's nibble numbering
                int64_t r, c;
                w4Source(tile, chunk, lane, j, p, r, c);
                word |= bit(plane, r, c) << ((odd ? 31 : 15) - (4 * j + q));
              }
          // Word k = cc * P + plane of the lane's 4P words; each of the lane's
          // P 128-bit loads is contiguous across the warp (512 bytes).
          int64_t k = cc * P + plane;
          int64_t index = (((tile * (chunks / 4) + super) * P + k / 4) * 32 + lane) * 4 + k % 4;
          std::memcpy(codes + 4 * index, &word, 4);
        }
    }
  auto *params = reinterpret_cast<uint16_t *>(blob.bytes.data() + blob.paramsOffset);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < blob.groups; ++g)
      for (int64_t p = 0; p <= P; ++p) {
        int64_t word = binaryParamWord(r / kTileRows, g, r % 8, p, blob.groups, enc.planes);
        uint16_t v = p < P ? w.scales[(r * blob.groups + g) * P + p] : w.offsets[r * blob.groups + g];
        params[2 * word + (r % kTileRows) / 8] = v;
      }
  return blob;
}

std::optional<std::string> checkW4A8Tiling(const UniformEncoding &enc, int64_t rows,
                                           int64_t cols) {
  if (std::optional<std::string> why = checkW4Tiling(enc, rows, cols))
    return why;
  if (!enc.symmetric)
    return std::string("the W4A8 kernel takes symmetric 4-bit codes (no zero points)");
  return std::nullopt;
}

void w4a8Source(int64_t tile, int64_t chunk, int lane, int word, int p, int64_t &row,
                int64_t &col) {
  // Word 2j + h holds k-tile j's A registers 2h (row g, even nibbles) and
  // 2h + 1 (row g + 8, odd nibbles); byte e of either is mma column
  // 16h + 4t + e, which the column permutation maps to chunk column
  // 16t + 8j + 4h + e: lane t's B fragments of both k-tiles are the 16
  // contiguous int8 activations x[b, 64c + 16t .. 64c + 16t + 15].
  int g = lane / 4, t = lane % 4, j = word / 2, h = word % 2, e = p / 2;
  row = tile * kTileRows + g + 8 * (p % 2);
  col = chunk * kChunkCols + 16 * t + 8 * j + 4 * h + e;
}

W4Blob packW4A8(const UniformEncoding &enc, const EncodedWeight &w) {
  // Scales (and the section offsets) as for the f16 kernel; only the codes
  // differ.
  W4Blob blob = packW4(enc, w);
  int64_t rows = w.rows, cols = w.cols, rowBytes = cols / 2;
  int64_t tiles = rows / kTileRows, chunks = cols / kChunkCols;
  auto code = [&](int64_t r, int64_t c) -> uint32_t {
    uint8_t byte = w.codes[r * rowBytes + c / 2];
    uint32_t q = (c & 1) ? byte >> 4 : byte & 0xF;
    return q ^ 8; // 4-bit two's complement of q - 8
  };
  uint8_t *codes = blob.bytes.data() + blob.codesOffset;
  for (int64_t tile = 0; tile < tiles; ++tile)
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      for (int lane = 0; lane < 32; ++lane)
        for (int word = 0; word < 4; ++word) {
          uint32_t bits = 0;
          for (int p = 0; p < 8; ++p) {
            int64_t r, c;
            w4a8Source(tile, chunk, lane, word, p, r, c);
            bits |= code(r, c) << (4 * p);
          }
          int64_t index = ((tile * chunks + chunk) * 32 + lane) * 4 + word;
          std::memcpy(codes + 4 * index, &bits, 4);
        }
  return blob;
}

namespace {
/// N(d, k) for d <= dim, k <= pulses (saturating at 2^64 - 1).
std::vector<uint64_t> pvqTable(int64_t dim, int64_t pulses) {
  std::vector<uint64_t> n((dim + 1) * (pulses + 1), 0);
  auto at = [&](int64_t d, int64_t k) -> uint64_t & { return n[d * (pulses + 1) + k]; };
  for (int64_t d = 0; d <= dim; ++d)
    for (int64_t k = 0; k <= pulses; ++k) {
      if (k == 0) {
        at(d, k) = 1;
        continue;
      }
      if (d == 0)
        continue;
      uint64_t s = at(d - 1, k), a = at(d - 1, k - 1), b = at(d, k - 1);
      s = s + a < s ? ~0ull : s + a;
      at(d, k) = s + b < s ? ~0ull : s + b;
    }
  return n;
}

uint64_t readBits(const uint8_t *row, int64_t offset, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    int64_t bit = offset + i;
    v |= (uint64_t)((row[bit / 8] >> (bit % 8)) & 1) << i;
  }
  return v;
}

unsigned indexBits(uint64_t size) {
  unsigned b = 1;
  while (b < 64 && (uint64_t(1) << b) < size)
    ++b;
  return b;
}

/// The GPU slot of an index into a codebook of `size` words: 16 or 32 bits.
int64_t slotBits(uint64_t size) { return size <= (uint64_t(1) << 16) ? 16 : 32; }
} // namespace

std::optional<std::string> checkPVQTiling(const PVQEncoding &enc, int64_t rows, int64_t cols) {
  if (enc.dim < 1 || enc.pulses < 1 || enc.dim > 32)
    return "the PVQ kernel takes groups of 1 to 32 dimensions";
  if (enc.ampBits > 8)
    return "the PVQ kernel takes amplitude codes of at most 8 bits, not " +
           std::to_string(enc.ampBits);
  std::vector<uint64_t> n = pvqTable(enc.dim, enc.pulses);
  uint64_t size = n[enc.dim * (enc.pulses + 1) + enc.pulses];
  if (size > (uint64_t(1) << 32))
    return "N(" + std::to_string(enc.dim) + ", " + std::to_string(enc.pulses) +
           ") needs more than the kernel's 32-bit indices";
  if ((pvqPrefixWords(enc.dim, enc.pulses) + enc.pulses * enc.pulses + 1) * 4 > 48 * 1024)
    return std::string("the PVQ kernel's block-start and norm tables for dimension ") +
           std::to_string(enc.dim) + " and " + std::to_string(enc.pulses) +
           " pulses do not fit 48 KB of shared memory";
  const int64_t loadCols = enc.dim * (128 / slotBits(size));
  if (cols % loadCols != 0)
    return "K = " + std::to_string(cols) + " is not a multiple of the " +
           std::to_string(loadCols) + " columns of a lane's 128-bit load";
  if (enc.ampGroup % enc.dim != 0 || cols % enc.ampGroup != 0)
    return "amplitude group " + std::to_string(enc.ampGroup) + " does not tile K = " +
           std::to_string(cols) + " in groups of " + std::to_string(enc.dim);
  (void)rows;
  return std::nullopt;
}

int64_t pvqSlotBits(const PVQEncoding &enc) {
  return slotBits(pvqTable(enc.dim, enc.pulses)[enc.dim * (enc.pulses + 1) + enc.pulses]);
}

PVQBlob packPVQ(const PVQEncoding &enc, const EncodedWeight &w) {
  PVQBlob blob;
  const int64_t rows = w.rows, cols = w.cols, D = enc.dim, P = enc.pulses;
  std::vector<uint64_t> n = pvqTable(D, P);
  unsigned bits = indexBits(n[D * (P + 1) + P]);
  int64_t groups = cols / D, ampGroups = cols / enc.ampGroup;
  int64_t codeRowBytes = (groups * bits + 7) / 8;
  int64_t ampRowBytes = (ampGroups * enc.ampBits + 7) / 8;
  blob.codesOffset = 0;
  blob.slotBits = slotBits(n[D * (P + 1) + P]);
  const int64_t perLoad = 128 / blob.slotBits, loads = groups / perLoad;
  blob.ampsOffset = alignUp(rows * groups * blob.slotBits / 8, kBlobAlign);
  blob.stepsOffset = alignUp(blob.ampsOffset + rows * ampGroups, kBlobAlign);
  blob.tableOffset = alignUp(blob.stepsOffset + rows * 4, kBlobAlign);
  blob.tableWords = pvqPrefixWords(D, P);
  blob.sqrtWords = P * P + 1;
  blob.bytes.assign(alignUp(blob.tableOffset + 4 * (blob.tableWords + blob.sqrtWords), kBlobAlign),
                    0);
  uint8_t *codes = blob.bytes.data() + blob.codesOffset;
  uint8_t *amps = blob.bytes.data() + blob.ampsOffset;
  auto *steps = reinterpret_cast<float *>(blob.bytes.data() + blob.stepsOffset);
  auto *table = reinterpret_cast<uint32_t *>(blob.bytes.data() + blob.tableOffset);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t word = 0; word < loads; ++word) {
      // Lanes take a row's words in passes of 32; slot u of a pass's word
      // `lane` holds group first + u * width + lane.
      int64_t pass = word / 32, lane = word % 32;
      int64_t width = std::min<int64_t>(32, loads - pass * 32);
      for (int64_t u = 0; u < perLoad; ++u) {
        int64_t gi = pass * 32 * perLoad + u * width + lane;
        // Little-endian slots: slot j of a 32-bit word is bits [16 j, 16 j + 16).
        uint32_t index = (uint32_t)readBits(&w.codes[r * codeRowBytes], gi * bits, bits);
        std::memcpy(codes + ((r * loads + word) * perLoad + u) * blob.slotBits / 8, &index,
                    blob.slotBits / 8);
      }
    }
    for (int64_t a = 0; a < ampGroups; ++a)
      amps[r * ampGroups + a] =
          (uint8_t)readBits(&w.amplitudes[r * ampRowBytes], a * enc.ampBits, enc.ampBits);
    // The step is fp16; its float value is exact.
    uint16_t h = w.scales[r];
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float step;
    if (exp == 0) {
      step = (float)mant * (1.0f / 16777216.0f);
      step = sign ? -step : step;
    } else if (exp == 31) {
      uint32_t f = sign | 0x7f800000u | (mant << 13);
      std::memcpy(&step, &f, 4);
    } else {
      uint32_t f = sign | ((exp - 15 + 127) << 23) | (mant << 13);
      std::memcpy(&step, &f, 4);
    }
    steps[r] = step;
  }
  // Start of the y = 0 block (0), of each +-m pair of blocks, and the end;
  // entries past the end read as "after every index".
  for (int64_t r = 1; r < D; ++r)
    for (int64_t k = 0; k <= P; ++k) {
      uint32_t *starts = table + ((r - 1) * (P + 1) + k) * (P + 2);
      uint64_t at = n[r * (P + 1) + k];
      starts[0] = 0;
      for (int64_t m = 1; m <= P + 1; ++m) {
        starts[m] = m <= k + 1 ? (uint32_t)at : UINT32_MAX;
        if (m <= k)
          at += 2 * n[r * (P + 1) + k - m];
      }
    }
  auto *roots = reinterpret_cast<float *>(table + blob.tableWords);
  for (int64_t sq = 0; sq <= P * P; ++sq)
    roots[sq] = std::sqrt((float)sq);
  return blob;
}

uint64_t fingerprint(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

} // namespace lq::gpu
