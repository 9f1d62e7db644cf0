#include "ingest/statsd/statsd_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>

#include "common/graphite_tags.h"

namespace hourglass::ingest {
namespace {

using aggregator::MetricType;
using aggregator::Sample;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// etsy: runs of whitespace -> '_', '/' -> '-', then drop [^A-Za-z0-9_.-].
// A tag (etsy 0.9) first has ':' -> '=' and ';' -> '_', and keeps '='.
void AppendSanitized(std::string_view raw, bool tag, std::string& out) {
  bool in_space = false;
  for (char c : raw) {
    if (IsSpace(c)) {
      if (!in_space) out.push_back('_');
      in_space = true;
      continue;
    }
    in_space = false;
    if (tag && c == ':') c = '=';
    if (tag && c == ';') c = '_';
    if (IsKeyChar(c) || (tag && c == '=')) {
      out.push_back(c);
    } else if (c == '/') {
      out.push_back('-');
    }
  }
}

// JavaScript's Number() restricted to decimal: optional sign, digits, '.',
// exponent; surrounding whitespace allowed. Rejects NaN, inf, hex, "".
std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// `@rate`: etsy requires ^@[\d.]+ and a number; we also require rate > 0.
std::optional<double> ParseSampleRate(std::string_view field) {
  if (field.size() < 2 || field.front() != '@') return std::nullopt;
  const std::string_view digits = field.substr(1);
  for (char c : digits) {
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  }
  const std::optional<double> rate = ParseNumber(digits);
  if (!rate || *rate <= 0) return std::nullopt;
  return rate;
}

std::optional<MetricType> ParseType(std::string_view type) {
  type = Trim(type);
  if (type == "c") return MetricType::kCounter;
  if (type == "g") return MetricType::kGauge;
  if (type == "ms" || type == "h" || type == "d") return MetricType::kTimer;
  if (type == "s") return MetricType::kSet;
  return std::nullopt;
}

struct TagRef {
  uint32_t name_off, name_len, value_off, value_len;
};

// One `value|type|fields...` segment of a line, as sliced by the scanner.
struct Segment {
  std::string_view value;
  std::string_view type;
  std::string_view rate;  // "@..." field, empty if none
  std::array<std::string_view, 4> tag_fields{};
  size_t tag_field_count = 0;
  bool bad = false;
};

// Scans one segment starting at `pos` in `rest`; leaves `pos` after the
// segment's terminating ':' (or at the end).
Segment ScanSegment(std::string_view rest, size_t& pos) {
  Segment seg;
  auto read_until = [&](std::string_view stops) {
    const size_t start = pos;
    const size_t end = rest.find_first_of(stops, pos);
    pos = end == std::string_view::npos ? rest.size() : end;
    return rest.substr(start, pos - start);
  };
  seg.value = read_until("|:");
  if (pos >= rest.size() || rest[pos] != '|') {
    seg.bad = true;  // no type: etsy's fields[1] === undefined
  } else {
    ++pos;
    seg.type = read_until("|:");
    while (pos < rest.size() && rest[pos] == '|') {
      ++pos;
      const std::string_view tail = rest.substr(pos);
      if (tail.starts_with('#') || tail.starts_with("c:")) {
        const std::string_view field = read_until("|");
        if (field.front() != '#') continue;  // container id: ignored
        if (seg.tag_field_count < seg.tag_fields.size()) {
          seg.tag_fields[seg.tag_field_count++] = field.substr(1);
        }
        continue;
      }
      const std::string_view field = read_until("|:");
      if (field.starts_with('@') && seg.rate.empty()) {
        seg.rate = field;
      } else if (field.size() < 2 || field.front() != 'T' ||
                 field.find_first_not_of("0123456789", 1) != std::string_view::npos) {
        seg.bad = true;  // unknown field, second rate, or empty field
      }
    }
  }
  if (pos < rest.size()) {
    if (rest[pos] == ':') {
      ++pos;
    } else {
      seg.bad = true;  // unreachable by construction; keep the scanner moving
      pos = rest.size();
    }
  }
  return seg;
}

class LineParser {
 public:
  LineParser(std::string& scratch, SampleSinkRef sink, ParseCounts& counts)
      : scratch_(scratch), sink_(sink), counts_(counts) {}

  void ParseLine(std::string_view line);

 private:
  bool PrepareKey(std::string_view raw_key);
  void ParseSegment(const Segment& seg, std::optional<std::string_view> key);
  // Returns the canonical key with the line's tags (or the bare key);
  // nullopt when it would be longer than kMaxKeyLength.
  std::optional<std::string_view> KeyWithTags(const Segment& tags);
  size_t CollectTags(std::string_view field, std::array<TagRef, kMaxTags>& tags, size_t n);

  std::string& scratch_;
  SampleSinkRef sink_;
  ParseCounts& counts_;
  // The sanitized key without tags: a view into the line when the raw key
  // is already clean, else the first key_len_ bytes of scratch_ (read through
  // Key(): scratch_ may reallocate).
  std::string_view Key() const {
    return key_in_scratch_ ? std::string_view(scratch_).substr(0, key_len_) : raw_key_;
  }

  std::string_view raw_key_;
  bool key_in_scratch_ = false;
  size_t key_len_ = 0;
};

bool LineParser::PrepareKey(std::string_view raw_key) {
  scratch_.clear();
  key_in_scratch_ = !std::all_of(raw_key.begin(), raw_key.end(), IsKeyChar);
  raw_key_ = raw_key;
  key_len_ = 0;
  if (key_in_scratch_) {
    AppendSanitized(raw_key, /*tag=*/false, scratch_);
    key_len_ = scratch_.size();
  }
  const std::string_view key = Key();
  return !key.empty() && key.size() <= kMaxKeyLength;
}

void LineParser::ParseLine(std::string_view line) {
  ++counts_.metrics;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !PrepareKey(line.substr(0, colon))) {
    ++counts_.bad_lines;
    return;
  }
  const std::string_view rest = line.substr(colon + 1);
  size_t pos = 0;
  const Segment first = ScanSegment(rest, pos);
  if (pos >= rest.size()) {  // one value, the common line: scanned once
    ParseSegment(first, KeyWithTags(first));
    return;
  }
  // etsy 0.9 cuts a line at "|#" before splitting its values: the tags
  // belong to every value of the line, wherever the tag field is.
  Segment tags = first;
  do {
    const Segment seg = ScanSegment(rest, pos);
    for (size_t i = 0; i < seg.tag_field_count && tags.tag_field_count < tags.tag_fields.size();
         ++i) {
      tags.tag_fields[tags.tag_field_count++] = seg.tag_fields[i];
    }
  } while (pos < rest.size());
  const std::optional<std::string_view> key = KeyWithTags(tags);
  pos = 0;
  do {
    ParseSegment(ScanSegment(rest, pos), key);
  } while (pos < rest.size());
}

size_t LineParser::CollectTags(std::string_view field, std::array<TagRef, kMaxTags>& tags,
                               size_t n) {
  while (!field.empty() && n < tags.size()) {
    const size_t comma = field.find(',');
    const std::string_view tag = field.substr(0, comma);
    field = comma == std::string_view::npos ? std::string_view() : field.substr(comma + 1);
    // Sanitized as etsy does (`url:http://x` -> `url=http=--x`), then split
    // at the first '=' as Graphite reads `;name=value`.
    const size_t start = scratch_.size();
    AppendSanitized(tag, /*tag=*/true, scratch_);
    const size_t eq = scratch_.find('=', start);
    if (eq == std::string::npos || eq == start || eq + 1 == scratch_.size()) {
      scratch_.resize(start);  // `#flag`, empty name or empty value: dropped
      continue;
    }
    TagRef ref;
    ref.name_off = static_cast<uint32_t>(start);
    ref.name_len = static_cast<uint32_t>(eq - start);
    ref.value_off = static_cast<uint32_t>(eq + 1);
    ref.value_len = static_cast<uint32_t>(scratch_.size() - eq - 1);
    tags[n++] = ref;
  }
  return n;
}

std::optional<std::string_view> LineParser::KeyWithTags(const Segment& fields) {
  if (fields.tag_field_count == 0) return Key();
  scratch_.resize(key_len_);
  std::array<TagRef, kMaxTags> tags;
  size_t n = 0;
  for (size_t i = 0; i < fields.tag_field_count; ++i) {
    n = CollectTags(fields.tag_fields[i], tags, n);
  }
  if (n == 0) return Key();
  size_t needed = Key().size();
  for (size_t i = 0; i < n; ++i) needed += 2 + tags[i].name_len + tags[i].value_len;
  if (needed > kMaxKeyLength) return std::nullopt;
  scratch_.reserve(scratch_.size() + needed);  // views below stay valid
  const std::string_view base(scratch_.data(), scratch_.size());
  auto name = [&](const TagRef& t) { return base.substr(t.name_off, t.name_len); };
  // A repeated tag name: the first one wins.
  std::stable_sort(tags.begin(), tags.begin() + n,
                   [&](const TagRef& a, const TagRef& b) { return name(a) < name(b); });
  n = static_cast<size_t>(
      std::unique(tags.begin(), tags.begin() + n,
                  [&](const TagRef& a, const TagRef& b) { return name(a) == name(b); }) -
      tags.begin());
  // Each "name=value" is contiguous in scratch_ (value_off is past the '=').
  std::array<std::string_view, kMaxTags> joined;
  for (size_t i = 0; i < n; ++i) {
    joined[i] = base.substr(tags[i].name_off, tags[i].name_len + 1 + tags[i].value_len);
  }
  const size_t start = scratch_.size();
  scratch_.append(key_in_scratch_ ? base.substr(0, key_len_) : raw_key_);
  common::AppendGraphiteTags(std::span(joined.data(), n), scratch_);
  return std::string_view(scratch_).substr(start);
}

// What the aggregator will add for this sample must be finite: etsy adds
// value * (1 / rate) to a counter and 1 / rate to a timer's count, which is
// inf (or NaN) for a huge value or a tiny rate such as 1e-310.
bool FiniteWhenScaled(const Sample& sample) {
  if (sample.sample_rate == 1) return true;  // most lines: values are finite already
  switch (sample.type) {
    case MetricType::kCounter:
      return std::isfinite(sample.value * (1 / sample.sample_rate));
    case MetricType::kTimer:
      return std::isfinite(1 / sample.sample_rate);
    case MetricType::kGauge:
    case MetricType::kSet:
      return true;  // the rate is not used
  }
  return false;
}

void LineParser::ParseSegment(const Segment& seg, std::optional<std::string_view> key) {
  std::optional<MetricType> type;
  std::optional<double> rate = 1.0;
  if (!seg.bad) type = ParseType(seg.type);
  if (type && !seg.rate.empty()) rate = ParseSampleRate(seg.rate);
  Sample sample{};
  sample.type = type.value_or(MetricType::kCounter);
  sample.sample_rate = rate.value_or(1.0);
  bool ok = type.has_value() && rate.has_value();
  if (ok && *type == MetricType::kSet) {
    sample.set_member = seg.value.empty() ? std::string_view("0") : seg.value;
  } else if (ok) {
    const std::optional<double> value = ParseNumber(seg.value);
    ok = value.has_value();
    sample.value = value.value_or(0);
    sample.gauge_delta = *type == MetricType::kGauge && !seg.value.empty() &&
                         (seg.value.front() == '+' || seg.value.front() == '-');
    // etsy's helpers.is_valid_packet: an `ms` value must be >= 0.
    if (ok && Trim(seg.type) == "ms" && sample.value < 0) ok = false;
    ok = ok && FiniteWhenScaled(sample);
  }
  if (!ok || !key) {
    ++counts_.bad_lines;
    return;
  }
  sample.key = *key;
  ++counts_.samples;
  sink_(sample);
}

}  // namespace

ParseCounts ParseDatagramInto(std::string_view datagram, std::string& scratch, SampleSinkRef sink) {
  ParseCounts counts;
  LineParser parser(scratch, sink, counts);
  while (!datagram.empty()) {
    const size_t nl = datagram.find('\n');
    std::string_view line = datagram.substr(0, nl);
    datagram = nl == std::string_view::npos ? std::string_view() : datagram.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    parser.ParseLine(line);
  }
  return counts;
}

}  // namespace hourglass::ingest
