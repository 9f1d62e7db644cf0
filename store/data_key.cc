#include "store/data_key.h"

namespace hourglass::store {
namespace {

uint64_t LoadLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

uint64_t SeriesId(std::string_view name) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  constexpr int kShift = 47;
  constexpr uint64_t kSeed = 0x686f7572676c6173ULL;  // "hourglas"
  uint64_t h = kSeed ^ (name.size() * kMul);
  size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    uint64_t k = LoadLittleEndian64(name.data() + i);
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }
  size_t rest = name.size() - i;
  if (rest > 0) {
    for (size_t j = rest; j > 0; --j) {
      h ^= static_cast<uint64_t>(static_cast<uint8_t>(name[i + j - 1])) << (8 * (j - 1));
    }
    h *= kMul;
  }
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

void DataKey::EncodeTo(char* out) const {
  out[0] = static_cast<char>(resolution);
  PutBigEndian64(out + 1, series_id);
  PutBigEndian32(out + 9, block_start);
}

bool DataKey::Decode(std::string_view bytes, DataKey* key) {
  if (bytes.size() != kDataKeySize) return false;
  key->resolution = static_cast<uint8_t>(bytes[0]);
  key->series_id = GetBigEndian(bytes.data() + 1, 8);
  key->block_start = static_cast<uint32_t>(GetBigEndian(bytes.data() + 9, 4));
  return true;
}

}  // namespace hourglass::store
