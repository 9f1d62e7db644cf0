#include "archive/shipping/archive_reader.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "archive/audit/audit_files.h"
#include "archive/shipping/sealer.h"
#include "archive/shipping/sha256_stream.h"

namespace hourglass::archive {
namespace {

constexpr int64_t kDayHours = 24;

uint64_t MetaNumber(const ObjectInfo& info, const std::string& name) {
  auto it = info.metadata.find(name);
  return it == info.metadata.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
}

std::string MetaText(const ObjectInfo& info, const std::string& name) {
  auto it = info.metadata.find(name);
  return it == info.metadata.end() ? std::string() : it->second;
}

}  // namespace

std::vector<std::string> ArchiveReader::Prefixes(int64_t first_hour, int64_t last_hour) const {
  // Per day for up to two months, per month up to three years, else per year
  // for up to 30 years, else everything under {prefix}.
  const int64_t hours = last_hour - first_hour + 1;
  const int depth = hours <= 62 * kDayHours         ? 3
                    : hours <= 1100 * kDayHours     ? 2
                    : hours <= 30 * 366 * kDayHours ? 1
                                                    : 0;
  const int64_t step = depth == 3 ? kDayHours : depth >= 1 ? kDayHours * 28 : hours;
  std::set<std::string> prefixes;
  for (int64_t hour = first_hour; hour <= last_hour; hour += step) {
    prefixes.insert(options_.key_template.ListPrefix(options_.prefix, hour, depth));
  }
  prefixes.insert(options_.key_template.ListPrefix(options_.prefix, last_hour, depth));
  // A prefix that starts another one lists it too: keep the shorter only.
  std::vector<std::string> out;
  for (const std::string& p : prefixes) {
    if (out.empty() || !p.starts_with(out.back())) out.push_back(p);
  }
  return out;
}

std::optional<ArchivedSegment> ArchiveReader::Match(const ObjectInfo& object) const {
  const std::string& audit_prefix = options_.audit_prefix;
  auto match = options_.key_template.Parse(object.key, options_.prefix, [&](std::string_view f) {
    return ParseSealedFileName(audit_prefix, f).has_value();
  });
  if (!match || (!options_.host.empty() && match->host != options_.host)) return std::nullopt;
  auto info = ParseSealedFileName(audit_prefix, match->filename);
  ArchivedSegment segment{.key = object.key,
                          .host = match->host,
                          .filename = match->filename,
                          .hour = info->audit.hour,
                          .segment = info->audit.segment,
                          .part = info->part,
                          .size = object.size,
                          .compression = CompressionOfName(match->filename)};
  return segment;
}

StoreResult<std::vector<ArchivedSegment>> ArchiveReader::List(int64_t from_s, int64_t until_s) {
  const int64_t first_hour = from_s / 3600;  // hours overlapping [from, until)
  const int64_t last_hour = (until_s - 1) / 3600;
  std::vector<ArchivedSegment> out;
  if (until_s <= from_s) return out;
  for (const std::string& prefix : Prefixes(first_hour, last_hour)) {
    auto objects = store_.ListAll(prefix);
    if (!objects) return objects.error();
    for (const ObjectInfo& object : *objects) {
      auto segment = Match(object);
      if (!segment || segment->hour < first_hour || segment->hour > last_hour) continue;
      auto head = store_.Head(object.key);
      if (!head) return head.error();
      segment->lines = MetaNumber(*head, "hourglass-lines");
      segment->sha256 = MetaText(*head, std::string(kSha256MetadataName));
      segment->raw_sha256 = MetaText(*head, "hourglass-raw-sha256");
      out.push_back(std::move(*segment));
    }
  }
  std::sort(out.begin(), out.end(), [](const ArchivedSegment& a, const ArchivedSegment& b) {
    return std::tie(a.hour, a.host, a.segment, a.part) <
           std::tie(b.hour, b.host, b.segment, b.part);
  });
  return out;
}

StoreResult<void> ArchiveReader::Read(const ArchivedSegment& segment, const ChunkSink& sink) {
  if (segment.sha256.empty() || segment.raw_sha256.empty()) {
    return StoreError{ErrorKind::kPermanent,
                      segment.key + " has no hourglass checksum metadata: cannot verify it"};
  }
  auto decoder = MakeDecoder(segment.compression);
  if (!decoder) return StoreError{ErrorKind::kLocal, decoder.status().message()};
  Sha256Stream sealed_sha, raw_sha;
  uint64_t lines = 0;
  common::Status failure;
  const ChunkSink plain = [&](std::string_view bytes) {
    raw_sha.Update(bytes);
    lines += static_cast<uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
    return sink(bytes);
  };
  const ByteSink compressed = [&](std::span<const char> bytes) {
    sealed_sha.Update({bytes.data(), bytes.size()});
    failure = (*decoder)->Write({bytes.data(), bytes.size()}, plain);
    return failure.ok();
  };
  auto got = store_.Get(segment.key, compressed);
  if (!failure.ok())
    return StoreError{ErrorKind::kPermanent, segment.key + ": " + failure.message()};
  if (!got) return got.error();
  if (auto status = (*decoder)->Finish(plain); !status) {
    return StoreError{ErrorKind::kPermanent, segment.key + ": " + status.message()};
  }
  const std::string sealed_hex = sealed_sha.FinishHex();
  const std::string raw_hex = raw_sha.FinishHex();
  if (sealed_hex != segment.sha256 || raw_hex != segment.raw_sha256 ||
      (segment.lines != 0 && lines != segment.lines)) {
    return StoreError{ErrorKind::kPermanent, segment.key + ": checksum mismatch (object sha256 " +
                                                 sealed_hex + ", expected " + segment.sha256 +
                                                 "): the archived copy is damaged"};
  }
  return {};
}

}  // namespace hourglass::archive
