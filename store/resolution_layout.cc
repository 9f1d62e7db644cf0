#include "store/resolution_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace hourglass::store {
namespace {

constexpr size_t kMaxResolutionIds = 255;
// A head's WAL record keeps its schema in 12 bits (series_store_heads.cc).
constexpr size_t kMaxSchemas = 4096;

// Splits `text` at `sep` into integers; false unless all of them parse.
bool ParseIntegers(std::string_view text, char sep, std::vector<int64_t>* out) {
  out->clear();
  while (true) {
    const size_t end = std::min(text.find(sep), text.size());
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, v);
    if (ec != std::errc() || ptr != text.data() + end) return false;
    out->push_back(v);
    if (end == text.size()) return true;
    text.remove_prefix(end + 1);
  }
}

common::Status Damaged(std::string_view what) {
  return common::Status::Error(fmt::format("resolution layout is damaged: '{}'", what));
}

common::Status LoadPersisted(std::string_view text, std::vector<ResolutionInfo>* out) {
  std::vector<int64_t> fields;
  while (!text.empty()) {
    const size_t eol = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    if (!ParseIntegers(line, ' ', &fields) || fields.size() != 4 ||
        fields[0] != int64_t(out->size()) || fields[1] <= 0 || fields[2] <= 0) {
      return Damaged(line);
    }
    out->push_back({.raw_step = fields[1], .step = fields[2], .duration = fields[3]});
  }
  return common::Status::Ok();
}

// "10:21600,60:604800": the retentions (in seconds) of a store created before
// layouts were persisted; its resolutions are ids 0, 1, ...
common::Status LoadLegacy(std::string_view text, std::vector<ResolutionInfo>* out) {
  std::vector<int64_t> pair;
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    if (!ParseIntegers(text.substr(0, comma), ':', &pair) || pair.size() != 2 || pair[0] <= 0) {
      return Damaged(text);
    }
    const int64_t raw = out->empty() ? pair[0] : out->front().raw_step;
    out->push_back({.raw_step = raw, .step = pair[0], .duration = pair[1]});
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return common::Status::Ok();
}

common::Result<std::unique_ptr<const re2::RE2>> CompilePattern(const RetentionSchema& schema) {
  auto regex = common::CompileRegex(schema.pattern, common::RegexDialect::kPython);
  if (!regex.ok()) {
    return common::Status::Error(fmt::format("retention schema {}: bad pattern {}: {}", schema.name,
                                             schema.pattern, regex.status().message()));
  }
  return regex;
}

}  // namespace

common::Status ValidateSchemas(const std::vector<RetentionSchema>& schemas) {
  for (const RetentionSchema& schema : schemas) {
    if (auto r = CompilePattern(schema); !r.ok()) return r.status();
    if (schema.retentions.empty()) {
      return common::Status::Error(fmt::format("retention schema {}: no retentions", schema.name));
    }
  }
  return common::Status::Ok();
}

common::Result<ResolutionLayout> ResolutionLayout::Create(const StoreOptions& options,
                                                          std::string_view persisted,
                                                          std::string_view legacy) {
  ResolutionLayout layout;
  auto& resolutions = layout.resolutions_;
  auto loaded = !persisted.empty() ? LoadPersisted(persisted, &resolutions)
                                   : LoadLegacy(legacy, &resolutions);
  if (!loaded.ok()) return loaded;

  if (auto s = ValidateSchemas(options.schemas); !s.ok()) return s;
  if (options.schemas.size() + 1 > kMaxSchemas) {
    return common::Status::Error(
        fmt::format("{} retention schemas: at most {} (the default included)",
                    options.schemas.size() + 1, kMaxSchemas));
  }
  std::vector<RetentionSchema> all = options.schemas;
  all.push_back({"default", "", options.retentions});
  for (auto& s : all) {
    Schema schema{s.name, {}, s.retentions, {}};
    if (&s != &all.back()) schema.regex = std::move(CompilePattern(s).value());
    const int64_t raw_step = schema.retentions[0].step;
    for (const Retention& r : schema.retentions) {
      auto it = std::find_if(resolutions.begin(), resolutions.end(), [&](const ResolutionInfo& a) {
        return a.raw_step == raw_step && a.step == r.step;
      });
      if (it == resolutions.end()) {
        if (resolutions.size() >= kMaxResolutionIds) {
          return common::Status::Error(
              "retention schemas need more than 255 resolutions (distinct (raw step, step) pairs)");
        }
        it = resolutions.insert(resolutions.end(), {.raw_step = raw_step, .step = r.step});
      }
      if (!it->configured) {
        *it = {.raw_step = raw_step, .step = r.step, .duration = r.duration, .configured = true};
      }
      it->duration = std::max(it->duration, r.duration);
      schema.ids.push_back(uint8_t(it - resolutions.begin()));
    }
    layout.schemas_.push_back(std::move(schema));
  }
  std::vector<std::shared_ptr<const re2::RE2>> patterns;
  for (size_t i = 0; i + 1 < layout.schemas_.size(); ++i) {
    patterns.push_back(layout.schemas_[i].regex);
  }
  layout.matcher_ = std::make_shared<const common::FirstMatch>(std::move(patterns));
  return layout;
}

std::string ResolutionLayout::PersistedText() const {
  std::string out;
  for (size_t id = 0; id < resolutions_.size(); ++id) {
    const ResolutionInfo& a = resolutions_[id];
    out += fmt::format("{} {} {} {}\n", id, a.raw_step, a.step, a.duration);
  }
  return out;
}

size_t ResolutionLayout::Match(std::string_view name) const {
  if (matcher_ == nullptr) return schemas_.size() - 1;
  return matcher_->Find(name.substr(0, name.find(';')));  // none: the default, last
}

}  // namespace hourglass::store
