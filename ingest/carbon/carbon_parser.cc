#include "ingest/carbon/carbon_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

#include "common/graphite_tags.h"

namespace hourglass::ingest {
namespace {

using common::Result;
using common::Status;

// Timestamps at or past this (year 5138) are refused as garbage.
constexpr double kMaxTimestamp = 1e11;

// What Python's str.split() and str.strip() treat as whitespace (ASCII part).
bool IsPySpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == y; });
}

// Splits on runs of whitespace into at most out.size() + 1 fields; returns
// the number of fields found (more than out.size() means "too many").
size_t SplitFields(std::string_view line, std::array<std::string_view, 3>& out) {
  size_t n = 0, i = 0;
  while (true) {
    while (i < line.size() && IsPySpace(line[i])) ++i;
    if (i == line.size()) return n;
    const size_t start = i;
    while (i < line.size() && !IsPySpace(line[i])) ++i;
    if (n == out.size()) return n + 1;
    out[n++] = line.substr(start, i - start);
  }
}

// Copies a Python float literal's digits into `buf` without its underscores
// (each must sit between two digits) and its leading '+'. False if the text
// has characters no float literal has.
bool StripLiteral(std::string_view text, std::string& buf) {
  buf.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      if (i == 0 || i + 1 == text.size() || !IsDigit(text[i - 1]) || !IsDigit(text[i + 1])) {
        return false;
      }
      continue;
    }
    if (!IsDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') return false;
    if (c == '+' && i == 0) continue;
    buf.push_back(c);
  }
  return !buf.empty();
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size() || (len == 2 && c < 0xC2)) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A name that is already canonical: untagged, no '~', no empty node, no
// control character, valid UTF-8. One pass (the common case of every line).
bool IsPlainName(std::string_view name) {
  if (name.front() == '.' || name.back() == '.') return false;
  bool ascii = true;
  char prev = 0;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ';' || c == '{' || c == '~' || (c == '.' && prev == '.')) {
      return false;
    }
    ascii = ascii && u < 0x80;
    prev = c;
  }
  return ascii || ValidUtf8(name);
}

// carbon's TaggedSeries.validateTagAndValue.
Status ValidateTag(std::string_view tag, std::string_view value) {
  if (tag.empty()) return Status::Error("tag may not be empty");
  if (value.empty()) return Status::Error("value for tag \"" + std::string(tag) + "\" is empty");
  if (tag.find_first_of(";!^=") != std::string_view::npos) {
    return Status::Error("tag \"" + std::string(tag) + "\" has one of ;!^=");
  }
  if (value.find(';') != std::string_view::npos || value.front() == '~') {
    return Status::Error("value of tag \"" + std::string(tag) + "\" has ';' or starts with '~'");
  }
  return Status::Ok();
}

using TagMap = std::map<std::string, std::string>;

// An untagged name with its empty nodes removed, as whisper's file tree
// would store it.
Result<std::string> CollapseNodes(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    const size_t dot = std::min(name.find('.', i), name.size());
    if (dot > i) {
      if (!out.empty()) out.push_back('.');
      out.append(name.substr(i, dot - i));
    }
    i = dot + 1;
  }
  if (out.empty()) return Status::Error("name has no nodes");
  return out;
}

// An untagged name: leading '~' and empty nodes go, so that ".~a" is "a" as
// "~a" is, not "~a".
Result<std::string> CanonicalUntagged(std::string_view name) {
  const size_t first = name.find_first_not_of("~.");
  if (first == std::string_view::npos) return Status::Error("name has no nodes");
  return CollapseNodes(name.substr(first));
}

// True if `name` would be read as the OpenMetrics form.
bool LooksOpenMetrics(std::string_view name) {
  return name.size() >= 2 && name.ends_with("\"}") && name.find('{') != std::string_view::npos;
}

// TaggedSeries.format: name, then the tags in Graphite's order. The
// result must canonicalize to itself, so a metric with ';' (possible only in
// the OpenMetrics form) is refused, and a series left with no tag but "name"
// is an untagged name.
Result<std::string> FormatTagged(std::string_view metric, const TagMap& tags) {
  if (metric.find(';') != std::string_view::npos) return Status::Error("metric name has ';'");
  std::vector<std::string> parts;
  for (const auto& [tag, value] : tags) {
    if (tag != "name") parts.push_back(tag + "=" + value);
  }
  if (parts.empty()) return CanonicalUntagged(metric);
  const size_t first = metric.find_first_not_of('~');
  if (first == std::string_view::npos) {
    return Status::Error("metric name is empty once its leading '~' are dropped");
  }
  std::vector<std::string_view> views(parts.begin(), parts.end());
  std::string out(metric.substr(first));
  common::AppendGraphiteTags(views, out);
  return out;
}

// metric;tag=value;... (TaggedSeries.parse_carbon).
Result<std::string> ParseCarbonTagged(std::string_view path) {
  const size_t semi = path.find(';');
  const std::string_view metric = path.substr(0, semi);
  if (metric.empty()) return Status::Error("no metric name before ';'");
  TagMap tags;
  std::string_view rest = semi == std::string_view::npos ? "" : path.substr(semi + 1);
  for (bool more = semi != std::string_view::npos; more;) {
    const size_t next = rest.find(';');
    const std::string_view segment = rest.substr(0, next);
    more = next != std::string_view::npos;
    rest = more ? rest.substr(next + 1) : std::string_view();
    const size_t eq = segment.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::Error("invalid tag segment \"" + std::string(segment) + "\"");
    }
    const std::string_view tag = segment.substr(0, eq), value = segment.substr(eq + 1);
    if (Status s = ValidateTag(tag, value); !s.ok()) return s;
    tags[std::string(tag)] = std::string(value);
  }
  return FormatTagged(metric, tags);
}

// One `tag="value"` of the OpenMetrics form; advances `raw` past it and its
// separator (carbon's regex: ([^=]+)="((?:\\["\\]|[^"\\])+)"(:?,|$)).
Status NextOpenMetricsTag(std::string_view& raw, TagMap& tags) {
  const size_t eq = raw.find('=');
  if (eq == 0 || eq == std::string_view::npos || eq + 1 >= raw.size() || raw[eq + 1] != '"') {
    return Status::Error("invalid tag segment \"" + std::string(raw) + "\"");
  }
  std::string value;
  size_t i = eq + 2;
  for (; i < raw.size() && raw[i] != '"'; ++i) {
    if (raw[i] == '\\') {
      if (i + 1 >= raw.size() || (raw[i + 1] != '"' && raw[i + 1] != '\\')) {
        return Status::Error("invalid escape in tag value");
      }
      ++i;
    }
    value.push_back(raw[i]);
  }
  if (i >= raw.size() || value.empty()) return Status::Error("unterminated or empty tag value");
  std::string_view after = raw.substr(i + 1);
  if (after.starts_with(":")) after.remove_prefix(1);
  if (!after.empty() && !after.starts_with(",")) return Status::Error("missing ',' between tags");
  if (!after.empty()) after.remove_prefix(1);
  const std::string_view tag = raw.substr(0, eq);
  if (Status s = ValidateTag(tag, value); !s.ok()) return s;
  tags[std::string(tag)] = std::move(value);
  raw = after;
  return Status::Ok();
}

// metric{tag="value",...} (TaggedSeries.parse_openmetrics).
Result<std::string> ParseOpenMetrics(std::string_view path) {
  const size_t brace = path.find('{');
  const std::string_view metric = path.substr(0, brace);
  std::string_view raw = path.substr(brace + 1, path.size() - brace - 2);
  if (metric.empty()) return Status::Error("no metric name before '{'");
  if (raw.find('{') != std::string_view::npos) return Status::Error("more than one '{'");
  TagMap tags;
  while (!raw.empty()) {
    if (Status s = NextOpenMetricsTag(raw, tags); !s.ok()) return s;
  }
  return FormatTagged(metric, tags);
}

}  // namespace

bool ParsePythonFloat(std::string_view text, double& out) {
  std::string_view body = text;
  const bool negative = body.starts_with("-");
  if (body.starts_with("-") || body.starts_with("+")) body.remove_prefix(1);
  if (EqualsNoCase(body, "inf") || EqualsNoCase(body, "infinity")) {
    out = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (EqualsNoCase(body, "nan")) {
    out = std::nan("");
    return true;
  }
  // The usual literal has no '_' and no leading '+': StripLiteral would copy
  // it unchanged, so from_chars reads it in place.
  const bool in_place =
      !text.empty() && text.front() != '+' && std::all_of(text.begin(), text.end(), [](char c) {
        return IsDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
      });
  thread_local std::string buf;
  if (!in_place && !StripLiteral(text, buf)) return false;
  const std::string_view literal = in_place ? text : std::string_view(buf);
  const char* end = literal.data() + literal.size();
  auto [p, ec] = std::from_chars(literal.data(), end, out, std::chars_format::general);
  if (p != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // Python: overflow -> inf, underflow -> 0 (strtod needs a terminated copy).
    out = std::strtod(std::string(literal).c_str(), nullptr);
    return true;
  }
  return ec == std::errc();
}

Result<std::string> CanonicalCarbonName(std::string_view name) {
  if (name.empty()) return Status::Error("empty name");
  if (HasControl(name)) return Status::Error("control character in name");
  if (!ValidUtf8(name)) return Status::Error("name is not UTF-8");
  Result<std::string> out = LooksOpenMetrics(name)                     ? ParseOpenMetrics(name)
                            : name.find(';') != std::string_view::npos ? ParseCarbonTagged(name)
                                                                       : CanonicalUntagged(name);
  // A result ending in "\"}" would be read back as the OpenMetrics form, as
  // something else (fuzz finding): refused, so canonical names are fixed points.
  if (out.ok() && LooksOpenMetrics(*out)) {
    return Status::Error("canonical name would read as the OpenMetrics form");
  }
  return out;
}

CarbonLineStatus ParseCarbonLine(std::string_view line, int64_t now_s, CarbonLine& out) {
  std::array<std::string_view, 3> fields;
  const size_t n = SplitFields(line, fields);
  if (n == 0) return CarbonLineStatus::kBlank;
  if (n != 3) return CarbonLineStatus::kBadFields;
  double value = 0, timestamp = 0;
  // carbon converts the timestamp first: a line bad in both is a bad timestamp.
  if (!ParsePythonFloat(fields[2], timestamp)) return CarbonLineStatus::kBadTimestamp;
  if (!ParsePythonFloat(fields[1], value)) return CarbonLineStatus::kBadValue;
  if (std::isnan(value)) return CarbonLineStatus::kNanValue;
  if (!(std::fabs(timestamp) < kMaxTimestamp)) return CarbonLineStatus::kBadTimestamp;
  int64_t ts = static_cast<int64_t>(timestamp);  // int(): truncates toward zero
  if (ts == -1) ts = now_s;
  if (ts < 0) return CarbonLineStatus::kBadTimestamp;
  const std::string_view name = fields[0];
  if (IsPlainName(name)) {
    out.name.assign(name);
  } else {
    Result<std::string> canonical = CanonicalCarbonName(name);
    if (!canonical.ok()) return CarbonLineStatus::kBadName;
    out.name = std::move(*canonical);
  }
  out.value = value;
  out.timestamp = ts;
  return CarbonLineStatus::kPoint;
}

}  // namespace hourglass::ingest
