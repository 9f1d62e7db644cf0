// The audit lines not in the archive yet (/archive/local, /archive/search):
// ListLocalAudit's states from the spool's records (open, pending upload,
// failed, uploaded) and the uploaded position; SearchArchiveAndLocal's caps
// over local files (N lines answered, the N+1th starts the next page at its
// byte offset; the scan cap ends a page inside a file), the size seen at the
// listing (bytes appended later and a line without LF are left), and the
// move from the archive's segments to the local files.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "archive/shipping/local_audit.h"
#include "archive/shipping/local_search.h"
#include "archive/shipping/sealed_manifest.h"
#include "archive/shipping/sealer.h"
#include "tests/archive/temp_dir.h"

namespace hourglass::archive {
namespace {

using Lines = std::vector<std::string>;
constexpr int64_t kHour = 490'000;  // hours since the epoch

void Write(const std::string& path, const std::string& text, bool append = false) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  out << text;
}

// A sealed file of `name` holding [from, to) in state `phase` after `attempts`.
void Seal(const std::string& sealed_dir, const std::string& name, int part, uint64_t from,
          uint64_t to, UploadPhase phase, uint64_t attempts = 0) {
  const AuditFileInfo info = *ParseAuditFileName("audit", name);
  SealedManifest m{.file = part == 0 ? SealedFileName(info, Compression::kGzip)
                                     : PartFileName(info, part, Compression::kGzip),
                   .source = name,
                   .hour = kHour,
                   .segment = info.segment,
                   .part = part,
                   .from = from,
                   .to = to,
                   .compression = "gzip",
                   .sha256 = std::string(64, 'a'),
                   .raw_bytes = to - from,
                   .lines = 2};
  REQUIRE(WriteFileAtomically(sealed_dir, m.file + std::string(kManifestSuffix), ManifestJson(m)));
  UploadState state{.phase = phase, .attempts = attempts};
  REQUIRE(WriteFileAtomically(sealed_dir, m.file + std::string(kUploadStateSuffix),
                              UploadStateJson(state)));
}

std::vector<LocalAuditFile> List(const std::string& audit, const std::string& sealed) {
  auto files = ListLocalAudit(audit, "audit", sealed, kHour * 3600, kHour * 3600 + 3600);
  REQUIRE(files.ok());
  return *files;
}

TEST_CASE("local hours: open, pending, failed and uploaded, from the spool's records") {
  testing::TempDir dir;
  const std::string audit = dir.path() + "/audit", sealed = dir.path() + "/sealed";
  std::filesystem::create_directories(audit);
  std::filesystem::create_directories(sealed);
  const std::string open = AuditFileName("audit", kHour, 1);  // 20 bytes, 2 parts shipped
  Write(audit + "/" + open, "line 1\nline 2\nline 3\n");
  Seal(sealed, open, 1, 0, 7, UploadPhase::kDone);
  Seal(sealed, open, 2, 7, 14, UploadPhase::kUploading, 1);
  const std::string failed = AuditFileName("audit", kHour, 2);
  Write(audit + "/" + failed, "a\nb\n");
  Write(audit + "/" + failed + ".complete", "{\"lines\":2}\n");
  Seal(sealed, failed, 0, 0, 4, UploadPhase::kUploading, 3);
  const std::string done = AuditFileName("audit", kHour, 3);
  Write(audit + "/" + done, "a\nb\n");
  Write(audit + "/" + done + ".complete", "{\"lines\":2}\n");
  Seal(sealed, done, 0, 0, 4, UploadPhase::kDone, 1);
  Write(audit + "/" + AuditFileName("audit", kHour + 1, 1), "later hour\n");  // out of range

  const auto files = List(audit, sealed);
  REQUIRE(files.size() == 3);
  CHECK(files[0].State() == "open");
  CHECK(files[0].size == 21);
  CHECK_FALSE(files[0].lines.has_value());  // not counted: that would read the file
  CHECK(files[0].sealed == 2);
  CHECK(files[0].uploaded == 1);
  CHECK(files[0].uploaded_to == 7);  // part 2 is not in the archive yet
  CHECK(files[1].State() == "failed");
  CHECK(files[1].attempts == 3);
  CHECK(files[1].uploaded_to == 0);
  CHECK(files[1].lines == 2u);
  CHECK(files[2].State() == "uploaded");
  CHECK(files[2].uploaded_to == 4);
  const std::string json = LocalAuditJson(files);
  CHECK(json.find("\"state\":\"open\"") != std::string::npos);
  CHECK(json.find("\"lines\":null") != std::string::npos);

  // A sealed file pending after one attempt is "pending upload"; complete
  // but not sealed yet says so.
  Seal(sealed, failed, 0, 0, 4, UploadPhase::kUploading, 1);
  Write(audit + "/" + open + ".complete", "{\"lines\":3}\n");
  const auto again = List(audit, sealed);
  CHECK(again[0].State() == "complete, not sealed");
  CHECK(again[1].State() == "pending upload");
}

struct Local {
  testing::TempDir dir;
  std::vector<LocalRange> ranges;

  void Add(const std::string& name, const std::string& text, uint64_t from = 0) {
    const std::string path = dir.path() + "/" + name;
    Write(path, text);
    ranges.push_back({.name = name, .path = path, .from = from, .to = text.size()});
  }
  SearchPage Search(SearchRequest request, SearchLimits limits,
                    const std::vector<ArchivedSegment>& segments = {},
                    const SegmentReader& read = nullptr) {
    auto page = SearchArchiveAndLocal(segments, read, ranges, request, limits);
    INFO(page.status().message());
    REQUIRE(page.ok());
    return *page;
  }
};

TEST_CASE("local search: max_lines lines a page, the next page from the next line's offset") {
  Local local;
  local.Add("a.log", "sshd 1\ncron 2\nsshd 3\n");
  local.Add("b.log", "sshd 4\nsshd 5\n");
  const SearchLimits limits{.max_lines = 2};
  SearchPage first = local.Search({.pattern = "sshd"}, limits);
  CHECK(first.lines == Lines{"sshd 1", "sshd 3"});
  CHECK(first.more);
  CHECK(first.next == "local:0:b.log");
  SearchPage second = local.Search({.pattern = "sshd", .after = first.next}, limits);
  CHECK(second.lines == Lines{"sshd 4", "sshd 5"});
  CHECK_FALSE(second.more);
  // One line asked: the cursor is the byte offset of the line after it.
  SearchPage one = local.Search({.pattern = "sshd", .limit = 1}, limits);
  CHECK(one.lines == Lines{"sshd 1"});
  CHECK(one.next == "local:14:a.log");  // "cron 2" was read past
  SearchPage two = local.Search({.pattern = "sshd", .limit = 1, .after = one.next}, limits);
  CHECK(two.lines == Lines{"sshd 3"});
  CHECK(two.scanned_bytes == 7 + 14);  // a.log from offset 14 (not 0), then b.log
  // The byte cap: 13 bytes hold two 6-byte lines, not a third.
  SearchPage bytes = local.Search({.pattern = "sshd"}, {.max_bytes = 12});
  CHECK(bytes.lines == Lines{"sshd 1", "sshd 3"});
  CHECK(bytes.more);
}

TEST_CASE("local search: the scan cap ends a page inside a file, after whole lines") {
  Local local;
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "line " + std::to_string(10000 + i) + "\n";  // 11 bytes
  local.Add("big.log", text);
  const SearchLimits limits{.max_scan_bytes = 8192};
  SearchPage first = local.Search({.pattern = "nomatch"}, limits);
  CHECK(first.lines.empty());
  REQUIRE(first.more);
  CHECK(first.scanned_bytes == 8192);  // never a whole file beyond the cap
  CHECK(first.next == "local:" + std::to_string(8192 / 11 * 11) + ":big.log");
  // Paging on reaches the end; every line seen exactly once.
  size_t pages = 1, seen = 0;
  SearchRequest request{.pattern = "line", .limit = 1000};
  do {
    SearchPage page = local.Search(request, limits);
    seen += page.lines.size();
    request.after = page.next;
    if (!page.more) break;
  } while (++pages < 100);
  CHECK(seen == 3000);
}

TEST_CASE("local search: only up to the size at the listing, only whole lines") {
  Local local;
  local.Add("open.log", "one\ntwo\n");
  Write(local.ranges[0].path, "three\nfou", true);  // appended after the listing
  SearchPage page = local.Search({}, {});
  CHECK(page.lines == Lines{"one", "two"});
  CHECK_FALSE(page.more);
  local.ranges[0].to += 9;  // a later listing: the half line waits for its LF
  CHECK(local.Search({}, {}).lines == Lines{"one", "two", "three"});
  local.ranges[0].from = 4;  // bytes [0, 4) are in the archive
  CHECK(local.Search({}, {}).lines == Lines{"two", "three"});
  // Deleted since the listing (uploaded, past archive.keep_local): skipped.
  local.Add("later.log", "four\n");
  std::filesystem::remove(local.ranges[0].path);
  CHECK(local.Search({}, {}).lines == Lines{"four"});
}

TEST_CASE("local hours: no audit directory yet is no hours") {
  testing::TempDir dir;
  CHECK(List(dir.path() + "/audit", dir.path() + "/sealed").empty());
}

TEST_CASE("archive then local: the archive's lines first, one cursor across both") {
  Local local;
  local.Add("open.log", "sshd local\n");
  const std::vector<ArchivedSegment> segments{{.key = "k1", .size = 11}};
  const SegmentReader read = [](size_t, const ChunkSink& sink) { return sink("sshd archived\n"); };
  SearchPage all = local.Search({.pattern = "sshd"}, {}, segments, read);
  CHECK(all.lines == Lines{"sshd archived", "sshd local"});
  SearchPage first = local.Search({.pattern = "sshd", .limit = 1}, {}, segments, read);
  CHECK(first.lines == Lines{"sshd archived"});
  CHECK(first.more);
  SearchPage second =
      local.Search({.pattern = "sshd", .limit = 1, .after = first.next}, {}, segments, read);
  CHECK(second.lines == Lines{"sshd local"});
  CHECK_FALSE(second.more);

  auto gone =
      SearchArchiveAndLocal(segments, read, local.ranges, {.after = "local:0:rotated.log"}, {});
  CHECK_FALSE(gone.ok());
  CHECK(gone.status().message().find("search again") != std::string::npos);
  CHECK_FALSE(SearchArchiveAndLocal(segments, read, local.ranges, {.pattern = "(a"}, {}).ok());

  // The archive could not be listed: the JSON says why (and only then).
  CHECK(SearchPageJson(all).find("archive_error") == std::string::npos);
  all.archive_error = "cannot list";
  CHECK(SearchPageJson(all).find(R"("archive_error":"cannot list")") != std::string::npos);
}

}  // namespace
}  // namespace hourglass::archive
