// KeyTemplate: archive.key_template, the object key of a sealed file, e.g.
// "{prefix}{year}/{month}/{day}/{host}-{filename}" with the placeholders
// {prefix} {year} {month} {day} {hour} {host} {filename}. Renders keys for
// the uploader and parses them back (host, sealed file name) for retrieval.
// Immutable after Parse; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hourglass::archive {

inline constexpr std::string_view kDefaultKeyTemplate =
    "{prefix}{year}/{month}/{day}/{host}-{filename}";

class KeyTemplate {
 public:
  // Refuses unknown placeholders, a template without {filename} (keys would
  // collide) and one whose keys could not be valid.
  static common::Result<KeyTemplate> Parse(std::string_view text);

  std::string Render(std::string_view prefix, int64_t hour, std::string_view host,
                     std::string_view filename) const;

  // The literal start shared by every key of `hour` whose placeholders up to
  // the first one not in {prefix, year, month, day} (depth 3), {prefix, year,
  // month} (2), {prefix, year} (1) or {prefix} (0) are fixed: what to List.
  std::string ListPrefix(std::string_view prefix, int64_t hour, int depth) const;

  struct Match {
    std::string host;
    std::string filename;
  };
  // Says whether a {filename} candidate is a sealed audit file name.
  using FileCheck = std::function<bool(std::string_view)>;
  // Host and file name of a key rendered with `prefix` whose file name
  // passes `valid` (this resolves "{host}-{filename}" for hosts with '-');
  // nullopt for any other key.
  std::optional<Match> Parse(std::string_view key, std::string_view prefix,
                             const FileCheck& valid) const;

  const std::string& text() const { return text_; }

 private:
  struct Part {
    bool placeholder;
    std::string text;  // literal text, or the placeholder's name without braces
  };
  struct MatchState {
    size_t key_size;
    std::vector<bool> failed;  // [part * (key_size + 1) + offset]: no match from there
  };
  bool MatchFrom(size_t i, std::string_view key, std::string_view prefix, const FileCheck& valid,
                 Match& match, MatchState& state) const;
  bool MatchPart(size_t i, std::string_view key, std::string_view prefix, const FileCheck& valid,
                 Match& match, MatchState& state) const;

  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace hourglass::archive
