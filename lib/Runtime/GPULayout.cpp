//===- GPULayout.cpp - Device weight layouts of the NVPTX kernels -----------===//
#include "lq/Runtime/GPULayout.h"

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

uint64_t fingerprint(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

} // namespace lq::gpu
