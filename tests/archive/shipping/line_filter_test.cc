// LineFilter (archive cat --grep): POSIX ERE on RE2, lines split across
// chunks, and the issue 9 regression input (a followed by 22 '+', which took
// 2.9 GB in glibc's regcomp).
#include "archive/shipping/line_filter.h"

#include <catch2/catch.hpp>

namespace hourglass::archive {
namespace {

std::string Grep(const std::string& pattern, const std::vector<std::string>& chunks) {
  auto filter = LineFilter::Create(pattern);
  INFO(filter.status().message());
  REQUIRE(filter.ok());
  std::string out;
  ChunkSink sink = [&](std::string_view b) {
    out.append(b);
    return common::Status::Ok();
  };
  for (const std::string& c : chunks) REQUIRE((*filter)->Write(c, sink).ok());
  REQUIRE((*filter)->Finish(sink).ok());
  return out;
}

TEST_CASE("grep keeps matching lines, whole, across chunk boundaries") {
  CHECK(Grep("^ERR", {"ERROR one\nok\nER", "ROR two\nlast ERROR"}) == "ERROR one\nERROR two\n");
  CHECK(Grep("o$", {"two\nthree\nno"}) == "two\nno");
  CHECK(Grep("[[:digit:]]{3}|x+y", {"a 123\nb 12\nxxy\n"}) == "a 123\nxxy\n");
}

TEST_CASE("a followed by 22 '+' is a+ as for grep -E, answered with small memory") {
  const std::string pattern = "a" + std::string(22, '+');
  CHECK(Grep(pattern, {"bab\nccc\naaa\n"}) == "bab\naaa\n");
}

TEST_CASE("what RE2 cannot do is a clear error naming the pattern") {
  auto backref = LineFilter::Create("(a)\\1");
  REQUIRE_FALSE(backref.ok());
  CHECK(backref.status().message() ==
        "bad --grep pattern \"(a)\\1\": invalid escape sequence: \\1 (backreferences are not "
        "supported)");
  auto open = LineFilter::Create("(");
  REQUIRE_FALSE(open.ok());
  CHECK(open.status().message().find("missing )") != std::string::npos);
  CHECK_FALSE(LineFilter::Create("a{1001}").ok());
  CHECK_FALSE(LineFilter::Create(std::string(common::kMaxRegexBytes + 1, 'a')).ok());
}

}  // namespace
}  // namespace hourglass::archive
