#include "common/json_escape.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace hourglass::common;
using namespace std::string_literals;

namespace {
// Parses `literal` with Boost.JSON (which rejects invalid UTF-8 and raw
// control characters) and returns the decoded string.
std::string Decode(const std::string& literal) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(literal, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_string());
  return std::string(v.as_string());
}
}  // namespace

TEST_CASE("JsonString: quotes, backslash and control characters are escaped") {
  CHECK(JsonString("") == "\"\"");
  CHECK(JsonString("a.b.c") == "\"a.b.c\"");
  CHECK(JsonString("say \"hi\"") == R"("say \"hi\"")");
  CHECK(JsonString("C:\\dir") == R"("C:\\dir")");
  CHECK(JsonString("a\nb\rc\td") == R"("a\nb\rc\td")");
  CHECK(JsonString("\x01\x1f\x7f"s) == R"("\u0001\u001f\u007f")");
  CHECK(JsonString("nul\0x"s) == R"("nul\u0000x")");
  const std::string all_control = "\x00\x01\x02\x08\x0b\x0c\x1b\x1f\x7f\"\\"s;
  CHECK(Decode(JsonString(all_control)) == all_control);
}

TEST_CASE("JsonString: valid UTF-8 up to 4 bytes is copied as it is") {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  CHECK(JsonString(text) == "\"" + text + "\"");
  CHECK(Decode(JsonString(text)) == text);
}

TEST_CASE("JsonString: each byte of invalid UTF-8 becomes U+FFFD") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(JsonString("\xFF") == "\"" + fffd + "\"");
  CHECK(JsonString("a\x80z") == "\"a" + fffd + "z\"");
  CHECK(JsonString("\xC0\xAF") == "\"" + fffd + fffd + "\"");                        // overlong '/'
  CHECK(JsonString("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");             // surrogate
  CHECK(JsonString("\xF4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  CHECK(JsonString("\xF0\x9F\x98") == "\"" + fffd + fffd + fffd + "\"");  // truncated at end
  CHECK(JsonString("\xF0\x9F\x98"
                   "A") == "\"" + fffd + fffd + fffd + "A\"");
  // Whatever the bytes, the result parses as JSON.
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  Decode(JsonString(every_byte));
}

TEST_CASE("AppendJsonString appends to what is there") {
  std::string out = "[";
  AppendJsonString(out, "x");
  out += ',';
  AppendJsonString(out, "\"");
  CHECK(out == R"(["x","\"")");
}

TEST_CASE("ToValidUtf8 keeps valid text and replaces what AppendJsonString replaces") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(ToValidUtf8("").empty());
  CHECK(ToValidUtf8("a\"\\\n\x01") == "a\"\\\n\x01");  // no escaping, only UTF-8 repair
  CHECK(ToValidUtf8("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
  CHECK(ToValidUtf8("x\xC0\xAFy\xE2\x82") == "x" + fffd + fffd + "y" + fffd + fffd);
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  CHECK(JsonString(ToValidUtf8(every_byte)) == JsonString(every_byte));
}
