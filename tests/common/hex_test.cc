#include "common/hex.h"

#include <catch2/catch.hpp>

using namespace hourglass::common;

TEST_CASE("HexEncode: two lower-case digits per byte, high nibble first") {
  CHECK(HexEncode(std::string_view()).empty());
  CHECK(HexEncode(std::string_view("\x00\x01\x7f\x80\xab\xff", 6)) == "00017f80abff");
  CHECK(HexEncode("abc") == "616263");
  const unsigned char digest[] = {0xde, 0xad, 0xbe, 0xef, 0x0f};
  CHECK(HexEncode(digest, sizeof(digest)) == "deadbeef0f");
  CHECK(HexEncode(digest, 0).empty());
}
