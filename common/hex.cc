#include "common/hex.h"

namespace hourglass::common {

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string HexEncode(const unsigned char* data, size_t size) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace hourglass::common
