// DataKey: the byte layout of a data-block key, [resolution u8][series id u64 BE]
// [block start u32 BE], and the 64-bit series id (a hash of the full name).
// Pure functions over bytes; any thread. Changing SeriesId or the layout
// changes the on-disk format.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace hourglass::store {

// Number of slots one block holds, in every resolution: 360 x 10 s is one hour
// of raw points, 360 x 1 min six hours, 360 x 10 min two and a half days.
inline constexpr int64_t kSlotsPerBlock = 360;
inline constexpr size_t kDataKeySize = 13;

// MurmurHash64A of the full series name (tags included), seed fixed. Stable
// across platforms: the bytes are read little-endian explicitly.
uint64_t SeriesId(std::string_view name);

struct DataKey {
  uint8_t resolution = 0;
  uint64_t series_id = 0;
  uint32_t block_start = 0;  // Unix seconds, a multiple of step * kSlotsPerBlock

  // Writes kDataKeySize bytes into `out`.
  void EncodeTo(char* out) const;
  // False if `bytes` is not a data key.
  static bool Decode(std::string_view bytes, DataKey* key);
};

inline void PutBigEndian64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline void PutBigEndian32(char* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t GetBigEndian(const char* in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace hourglass::store
