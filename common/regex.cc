#include "common/regex.h"

#include <algorithm>

#include <fmt/format.h>

namespace hourglass::common {
namespace {

// RE2's own message ("bad repetition operator: ++"), with what it means for
// someone who wrote a Python or grep pattern.
std::string Explain(const re2::RE2& re) {
  const std::string& arg = re.error_arg();
  switch (re.error_code()) {
    case re2::RE2::ErrorRepeatOp:
      return re.error() +
             " (possessive quantifiers such as a++ and a repeated repetition such as a** are not "
             "supported)";
    case re2::RE2::ErrorRepeatSize:
      return re.error() + " (a count is at most 1000, nested counts multiplied too)";
    case re2::RE2::ErrorPatternTooLarge:
      return fmt::format("pattern too large: it compiles to more than {} MiB", kRegexMaxMem >> 20);
    case re2::RE2::ErrorBadEscape:
      if (arg.size() == 2 && arg[1] >= '1' && arg[1] <= '9') {
        return re.error() + " (backreferences are not supported)";
      }
      return re.error();
    case re2::RE2::ErrorBadPerlOp:
      return re.error() +
             " (lookaround, atomic groups, conditionals and backreferences are not supported)";
    default:
      return re.error();
  }
}

re2::RE2::Options OptionsFor(RegexDialect dialect) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMem);
  if (dialect == RegexDialect::kPosixExtended) {
    options.set_posix_syntax(true);
    options.set_longest_match(true);
    options.set_perl_classes(true);
    options.set_word_boundary(true);
    options.set_one_line(true);
    options.set_never_capture(true);
    options.set_encoding(re2::RE2::Options::EncodingLatin1);
  }
  return options;
}

// GNU's \< and \> (word start, end): RE2 would read a literal '<' or '>'.
Status CheckPosix(std::string_view pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] != '\\') continue;
    if (pattern[i + 1] == '<' || pattern[i + 1] == '>') {
      return Status::Error(
          fmt::format("\\{} (GNU word boundary) is not supported: use \\b", pattern[i + 1]));
    }
    ++i;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<const re2::RE2>> CompileRegex(std::string_view pattern,
                                                     RegexDialect dialect) {
  if (pattern.size() > kMaxRegexBytes) {
    return Status::Error(fmt::format("pattern of {} bytes is longer than the {} accepted",
                                     pattern.size(), kMaxRegexBytes));
  }
  std::string text(pattern);
  if (dialect == RegexDialect::kPython) {
    Result<std::string> translated = TranslatePythonRegex(pattern);
    if (!translated.ok()) return translated.status();
    text = std::move(*translated);
  } else if (Status s = CheckPosix(pattern); !s.ok()) {
    return s;
  }
  auto re = std::make_unique<const re2::RE2>(text, OptionsFor(dialect));
  if (!re->ok()) return Status::Error(Explain(*re));
  return re;
}

size_t RegexWork(const re2::RE2& re, size_t text_bytes) {
  return (text_bytes + 1) * static_cast<size_t>(std::max(re.ProgramSize(), 1));
}

FirstMatch::FirstMatch(std::vector<std::shared_ptr<const re2::RE2>> patterns)
    : patterns_(std::move(patterns)) {
  if (patterns_.empty()) return;
  const re2::RE2::Options& options = patterns_.front()->options();
  auto set = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
  for (const auto& re : patterns_) {
    const re2::RE2::Options& o = re->options();
    const bool same =
        o.encoding() == options.encoding() && o.posix_syntax() == options.posix_syntax() &&
        o.longest_match() == options.longest_match() && o.literal() == options.literal() &&
        o.never_nl() == options.never_nl() && o.dot_nl() == options.dot_nl() &&
        o.case_sensitive() == options.case_sensitive() &&
        o.perl_classes() == options.perl_classes() &&
        o.word_boundary() == options.word_boundary() && o.one_line() == options.one_line();
    if (!same || set->Add(re->pattern(), nullptr) < 0) return;  // one by one
  }
  if (set->Compile()) set_ = std::move(set);
}

size_t FirstMatch::Find(std::string_view text) const {
  if (set_ == nullptr) return FindOneByOne(text);
  std::vector<int> matched;
  re2::RE2::Set::ErrorInfo error;
  if (!set_->Match(re2::StringPiece(text.data(), text.size()), &matched, &error)) {
    return error.kind == re2::RE2::Set::kNoError ? patterns_.size() : FindOneByOne(text);
  }
  return size_t(*std::min_element(matched.begin(), matched.end()));
}

size_t FirstMatch::FindOneByOne(std::string_view text) const {
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *patterns_[i])) return i;
  }
  return patterns_.size();
}

}  // namespace hourglass::common
