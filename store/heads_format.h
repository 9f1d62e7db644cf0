// The heads' persisted formats (internal to store/, DESIGN note in
// series_store_heads.cc): a WAL point's packed timestamp (raw resolution,
// rule and schema in its high bits) and the checkpoint's chunks of heads in
// the "heads" column family, with their keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/aggregation_rules.h"
#include "store/data_key.h"

namespace hourglass::store::heads_format {

inline constexpr const char* kHeadsSeqKey = "heads_seq";
// The generation of the checkpoint's chunks ("heads" family keys
// [0xff 0xff][generation u64 BE][chunk u32 BE], 14 bytes: never a data key,
// which is 13 bytes and starts with a resolution id below 0xff).
inline constexpr const char* kHeadsGenerationKey = "heads_generation";
inline constexpr size_t kChunkKeySize = 14;
inline constexpr size_t kChunkBytes = 1 << 20;
inline constexpr char kMarkerTag = static_cast<char>(0xff);
inline constexpr int kResolutionShift = 40;
inline constexpr int kCombineShift = 48;
inline constexpr int kSchemaShift = 50;
inline constexpr int64_t kSchemaMask = 0xfff;  // 4096 schemas
inline constexpr int64_t kTimeMask = (int64_t(1) << kResolutionShift) - 1;
// A checkpointed head: [kHeadTag | rule][schema u16][series block]; before
// schemas travelled with heads it was [rule][series block].
inline constexpr uint8_t kHeadTag = 0x80;

inline int64_t PackTime(int64_t t, uint8_t resolution, RawCombine combine, uint16_t schema) {
  return t | (int64_t(resolution) << kResolutionShift) |
         (int64_t(static_cast<uint8_t>(combine)) << kCombineShift) |
         ((int64_t(schema) & kSchemaMask) << kSchemaShift);
}

inline std::string ChunkKey(uint64_t generation, uint32_t chunk) {
  std::string key(kChunkKeySize, '\xff');
  for (int i = 0; i < 8; ++i) key[2 + i] = static_cast<char>(generation >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) key[10 + i] = static_cast<char>(chunk >> (24 - 8 * i));
  return key;
}

inline uint64_t ChunkGeneration(std::string_view key) {
  uint64_t g = 0;
  for (int i = 0; i < 8; ++i) g = (g << 8) | static_cast<uint8_t>(key[2 + i]);
  return g;
}

// One head in a chunk: [data key][kHeadTag | rule][schema u16 LE][block
// length varint][series block].
inline void AppendHead(const DataKey& key, RawCombine combine, uint16_t schema,
                       std::string_view block, std::string* out) {
  char k[kDataKeySize];
  key.EncodeTo(k);
  out->append(k, kDataKeySize);
  out->push_back(static_cast<char>(kHeadTag | static_cast<uint8_t>(combine)));
  out->push_back(static_cast<char>(schema & 0xff));
  out->push_back(static_cast<char>(schema >> 8));
  for (uint64_t n = block.size();; n >>= 7) {
    out->push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  out->append(block);
}

// Calls fn(key, rule, schema, block) for each head of a chunk; false if the
// chunk is malformed (the heads before the damage were passed).
template <typename Fn>
bool ForEachChunkHead(std::string_view chunk, Fn&& fn) {
  while (!chunk.empty()) {
    DataKey key;
    if (chunk.size() < kDataKeySize + 4 || !DataKey::Decode(chunk.substr(0, kDataKeySize), &key))
      return false;
    const auto tag = static_cast<uint8_t>(chunk[kDataKeySize]);
    const auto schema = uint16_t(static_cast<uint8_t>(chunk[kDataKeySize + 1]) |
                                 static_cast<uint8_t>(chunk[kDataKeySize + 2]) << 8);
    chunk.remove_prefix(kDataKeySize + 3);
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      if (chunk.empty() || shift > 28) return false;
      const auto byte = static_cast<uint8_t>(chunk[0]);
      chunk.remove_prefix(1);
      n |= uint64_t(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    if ((tag & ~3) != kHeadTag || n > chunk.size()) return false;
    fn(key, static_cast<RawCombine>(tag & 3), schema, chunk.substr(0, n));
    chunk.remove_prefix(n);
  }
  return true;
}

}  // namespace hourglass::store::heads_format
