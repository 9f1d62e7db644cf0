// SearchSegments (/archive/search): the line cap (N lines answered, the N+1th
// starts the next page), the byte cap, the scan cap, the cursor across
// segments and chunk boundaries, and bad patterns and cursors.
#include "archive/shipping/archive_search.h"

#include <catch2/catch.hpp>

namespace hourglass::archive {
namespace {

struct Fake {
  std::vector<ArchivedSegment> segments;
  std::vector<std::string> texts;
  size_t reads = 0;

  void Add(std::string key, std::string text) {
    segments.push_back({.key = std::move(key), .size = text.size()});
    texts.push_back(std::move(text));
  }
  // Hands out the text 3 bytes at a time: lines split across chunks.
  SegmentReader Reader() {
    return [this](size_t index, const ChunkSink& sink) {
      ++reads;
      const std::string& text = texts.at(index);
      for (size_t at = 0; at < text.size(); at += 3) {
        if (auto status = sink(std::string_view(text).substr(at, 3)); !status) return status;
      }
      return common::Status::Ok();
    };
  }
  SearchPage Search(SearchRequest request, SearchLimits limits = {}) {
    auto page = SearchSegments(segments, Reader(), request, limits);
    INFO(page.status().message());
    REQUIRE(page.ok());
    return *page;
  }
};

using Lines = std::vector<std::string>;

TEST_CASE("a page holds max_lines lines; the next one starts the next page") {
  Fake fake;
  fake.Add("a", "sshd 1\ncron 2\nsshd 3\n");
  fake.Add("b", "sshd 4\nsshd 5");  // no LF at the end
  SearchLimits limits{.max_lines = 2};
  SearchPage first = fake.Search({.pattern = "sshd"}, limits);
  CHECK(first.lines == Lines{"sshd 1", "sshd 3"});
  CHECK(first.more);
  SearchPage second = fake.Search({.pattern = "sshd", .after = first.next}, limits);
  CHECK(second.lines == Lines{"sshd 4", "sshd 5"});
  CHECK_FALSE(second.more);  // full exactly at the end: no empty page after it

  // The same cap inside one segment: the cursor skips what was answered.
  SearchPage one = fake.Search({.pattern = "sshd", .limit = 1}, limits);
  CHECK(one.lines == Lines{"sshd 1"});
  CHECK(one.next == "1:a");
  CHECK(fake.Search({.pattern = "sshd", .limit = 1, .after = one.next}, limits).lines ==
        Lines{"sshd 3"});
  // 3 lines asked, the cap (2) wins; everything fits under a larger cap.
  CHECK(fake.Search({.pattern = "sshd", .limit = 3}, limits).lines.size() == 2);
  SearchPage all = fake.Search({.pattern = "", .limit = 100});
  CHECK(all.lines.size() == 5);
  CHECK_FALSE(all.more);
}

TEST_CASE("max_bytes bounds a page; a single longer line is cut, not looped on") {
  Fake fake;
  fake.Add("a", "12345\n67890\nabcdefghijklmnop\nz\n");
  SearchLimits limits{.max_bytes = 10};
  SearchPage first = fake.Search({}, limits);
  CHECK(first.lines == Lines{"12345", "67890"});  // exactly 10 bytes
  SearchPage second = fake.Search({.after = first.next}, limits);
  CHECK(second.lines == Lines{"abcdefghij"});
  CHECK(second.truncated_line);
  CHECK(fake.Search({.after = second.next}, limits).lines == Lines{"z"});
}

TEST_CASE("max_scan_bytes stops between segments, and the cursor goes on from there") {
  Fake fake;
  fake.Add("a", "x1\n");
  fake.Add("b", "x2\n");
  fake.Add("c", "x3\n");
  SearchLimits limits{.max_scan_bytes = 3};  // one segment a page
  SearchPage first = fake.Search({.pattern = "x"}, limits);
  CHECK(first.lines == Lines{"x1"});
  CHECK(first.next == "0:b");
  CHECK(fake.reads == 1);
  SearchPage second = fake.Search({.pattern = "x", .after = first.next}, limits);
  CHECK(second.lines == Lines{"x2"});
  limits.max_scan_bytes = 6;
  CHECK(fake.Search({.pattern = "x"}, limits).lines == Lines{"x1", "x2"});
}

TEST_CASE("a bad pattern or cursor is an error naming it; a read error comes back") {
  Fake fake;
  fake.Add("a", "x\n");
  auto bad = SearchSegments(fake.segments, fake.Reader(), {.pattern = "(a"}, {});
  CHECK_FALSE(bad.ok());
  auto cursor = SearchSegments(fake.segments, fake.Reader(), {.after = "1:gone"}, {});
  REQUIRE_FALSE(cursor.ok());
  CHECK(cursor.status().message().find("search again") != std::string::npos);
  CHECK_FALSE(SearchSegments(fake.segments, fake.Reader(), {.after = "x:a"}, {}).ok());
  auto failing = [](size_t, const ChunkSink&) { return common::Status::Error("checksum"); };
  auto read = SearchSegments(fake.segments, failing, {}, {});
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().message() == "checksum");
}

TEST_CASE("the page as JSON") {
  SearchPage page{.lines = {"a \"q\""}, .more = true, .next = "1:k", .scanned_bytes = 7};
  CHECK(
      SearchPageJson(page) ==
      R"({"lines":["a \"q\""],"more":true,"next":"1:k","scanned_bytes":7,"truncated_line":false})");
}

}  // namespace
}  // namespace hourglass::archive
