#include "archive/shipping/key_template.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "common/utc_time.h"

namespace hourglass::archive {
namespace {

constexpr std::string_view kNames[] = {"prefix", "year", "month",   "day",
                                       "hour",   "host", "filename"};

std::string Field(std::string_view name, std::string_view prefix, const common::CivilTime& tm,
                  std::string_view host, std::string_view filename) {
  if (name == "prefix") return std::string(prefix);
  if (name == "year") return fmt::format("{:04}", tm.year);
  if (name == "month") return fmt::format("{:02}", tm.month);
  if (name == "day") return fmt::format("{:02}", tm.day);
  if (name == "hour") return fmt::format("{:02}", tm.hour);
  if (name == "host") return std::string(host);
  return std::string(filename);
}

// Fixed-width digit fields; {host} and {filename} match any text.
size_t FixedWidth(std::string_view name) {
  if (name == "year") return 4;
  if (name == "month" || name == "day" || name == "hour") return 2;
  return 0;
}

}  // namespace

common::Result<KeyTemplate> KeyTemplate::Parse(std::string_view text) {
  KeyTemplate t;
  t.text_ = std::string(text);
  size_t at = 0;
  bool has_filename = false;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    if (open != at) {
      t.parts_.push_back({false, std::string(text.substr(at, open - at))});
      if (open == std::string_view::npos) break;
    }
    const size_t close = text.find('}', open);
    const std::string_view name = close == std::string_view::npos
                                      ? text.substr(open)
                                      : text.substr(open + 1, close - open - 1);
    if (close == std::string_view::npos ||
        std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
      return common::Status::Error(fmt::format(
          "archive.key_template: unknown placeholder \"{}\" (known: {{prefix}} {{year}} {{month}} "
          "{{day}} {{hour}} {{host}} {{filename}})",
          name));
    }
    has_filename = has_filename || name == "filename";
    t.parts_.push_back({true, std::string(name)});
    at = close + 1;
  }
  if (!has_filename) {
    return common::Status::Error("archive.key_template must contain {filename}");
  }
  if (text.starts_with('/') || text.find("//") != std::string_view::npos) {
    return common::Status::Error("archive.key_template must not start with '/' or contain '//'");
  }
  return t;
}

std::string KeyTemplate::Render(std::string_view prefix, int64_t hour, std::string_view host,
                                std::string_view filename) const {
  const common::CivilTime tm = common::CivilFromSeconds(hour * 3600);
  std::string out;
  for (const Part& part : parts_) {
    out += part.placeholder ? Field(part.text, prefix, tm, host, filename) : part.text;
  }
  return out;
}

std::string KeyTemplate::ListPrefix(std::string_view prefix, int64_t hour, int depth) const {
  static constexpr std::string_view kFixed[] = {"prefix", "year", "month", "day"};
  const common::CivilTime tm = common::CivilFromSeconds(hour * 3600);
  std::string out;
  for (const Part& part : parts_) {
    if (!part.placeholder) {
      out += part.text;
      continue;
    }
    const auto* fixed = std::find(std::begin(kFixed), std::begin(kFixed) + depth + 1, part.text);
    if (fixed == std::begin(kFixed) + depth + 1) break;
    out += Field(part.text, prefix, tm, {}, {});
  }
  return out;
}

// Matching is a depth-first search over (part, offset in key) that remembers
// the states that failed: whether the rest of the template matches from a
// state does not depend on how it was reached ({filename} is checked with
// `valid` as soon as it is captured), so each state is tried once and a
// template of P parts costs at most P * (key length)^2 steps, where trying
// every split of adjacent free placeholders ({host}{host}{filename}) used to
// take exponential time.
bool KeyTemplate::MatchFrom(size_t i, std::string_view key, std::string_view prefix,
                            const FileCheck& valid, Match& match, MatchState& state) const {
  if (i == parts_.size()) return key.empty();  // {filename} was checked when captured
  const size_t at = i * (state.key_size + 1) + (state.key_size - key.size());
  if (state.failed[at]) return false;
  if (MatchPart(i, key, prefix, valid, match, state)) return true;
  state.failed[at] = true;
  return false;
}

bool KeyTemplate::MatchPart(size_t i, std::string_view key, std::string_view prefix,
                            const FileCheck& valid, Match& match, MatchState& state) const {
  const Part& part = parts_[i];
  if (!part.placeholder || part.text == "prefix") {
    const std::string_view expect = part.placeholder ? prefix : std::string_view(part.text);
    return key.starts_with(expect) &&
           MatchFrom(i + 1, key.substr(expect.size()), prefix, valid, match, state);
  }
  if (const size_t width = FixedWidth(part.text); width > 0) {
    return key.size() >= width &&
           std::all_of(key.begin(), key.begin() + width,
                       [](char c) { return c >= '0' && c <= '9'; }) &&
           MatchFrom(i + 1, key.substr(width), prefix, valid, match, state);
  }
  // A free field ({host}, {filename}): try every length, shortest first.
  const bool host = part.text == "host";
  std::string& field = host ? match.host : match.filename;
  for (size_t width = 1; width <= key.size(); ++width) {
    if (key[width - 1] == '/' && host) break;
    const std::string_view candidate = key.substr(0, width);
    if (!host && !valid(candidate)) continue;
    if (MatchFrom(i + 1, key.substr(width), prefix, valid, match, state)) {
      field = std::string(candidate);
      return true;
    }
  }
  return false;
}

std::optional<KeyTemplate::Match> KeyTemplate::Parse(std::string_view key, std::string_view prefix,
                                                     const FileCheck& valid) const {
  Match match;
  MatchState state{key.size(), std::vector<bool>(parts_.size() * (key.size() + 1))};
  if (!MatchFrom(0, key, prefix, valid, match, state)) return std::nullopt;
  return match;
}

}  // namespace hourglass::archive
