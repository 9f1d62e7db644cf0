#include "archive/object_store/bucket_lifecycle.h"

#include <cstdlib>

#include "archive/object_store/presign.h"
#include "archive/object_store/s3_http.h"

namespace hourglass::archive {
namespace {

constexpr std::string_view kIdBase = "hourglass-expire";
constexpr size_t kMaxIdLength = 255;  // S3's limit on a rule ID

// Opening tags "<Rule>" or "<Rule ...>" in `xml`, to check that every rule
// was read (XmlElements matches only the bare "<Rule>").
size_t CountOpenTags(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag);
  size_t count = 0;
  for (size_t pos = xml.find(open); pos != std::string_view::npos; pos = xml.find(open, pos + 1)) {
    const size_t after = pos + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '/' ||
                               xml[after] == '\t' || xml[after] == '\n' || xml[after] == '\r')) {
      ++count;
    }
  }
  return count;
}

LifecycleRule ReadRule(std::string_view raw) {
  LifecycleRule rule{
      .id = XmlText(raw, "ID"), .status = XmlText(raw, "Status"), .raw = std::string(raw)};
  const std::vector<std::string_view> filter = XmlElements(raw, "Filter");
  if (!filter.empty()) {
    rule.prefix = XmlText(filter.front(), "Prefix");  // also Filter/And/Prefix
  } else {
    rule.legacy_prefix = CountOpenTags(raw, "Filter") == 0;  // "<Filter/>": all objects
    if (rule.legacy_prefix) rule.prefix = XmlText(raw, "Prefix");
  }
  const std::vector<std::string_view> expiration = XmlElements(raw, "Expiration");
  if (!expiration.empty()) {
    rule.expiration_days = std::strtoll(XmlText(expiration.front(), "Days").c_str(), nullptr, 10);
  }
  return rule;
}

std::string RuleXml(std::string_view id, std::string_view prefix, int64_t days, bool legacy) {
  const std::string where = "<Prefix>" + XmlEscape(prefix) + "</Prefix>";
  return "<ID>" + XmlEscape(id) + "</ID>" + (legacy ? where : "<Filter>" + where + "</Filter>") +
         "<Status>Enabled</Status><Expiration><Days>" + std::to_string(days) +
         "</Days></Expiration>";
}

}  // namespace

common::Result<std::vector<LifecycleRule>> ParseLifecycle(std::string_view xml) {
  std::vector<LifecycleRule> rules;
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) return rules;
  const std::vector<std::string_view> body = XmlElements(xml, "LifecycleConfiguration");
  std::string_view inner;
  if (!body.empty()) {
    inner = body.front();
  } else {  // <LifecycleConfiguration xmlns="...">
    const size_t open = xml.find("<LifecycleConfiguration ");
    const size_t start = open == std::string_view::npos ? open : xml.find('>', open);
    const size_t end = xml.rfind("</LifecycleConfiguration>");
    if (start == std::string_view::npos || end == std::string_view::npos || end < start) {
      return common::Status::Error("not a LifecycleConfiguration document");
    }
    inner = xml.substr(start + 1, end - start - 1);
  }
  const std::vector<std::string_view> raw_rules = XmlElements(inner, "Rule");
  if (raw_rules.size() != CountOpenTags(inner, "Rule")) {
    return common::Status::Error("a lifecycle <Rule> could not be read");
  }
  for (std::string_view raw : raw_rules) rules.push_back(ReadRule(raw));
  return rules;
}

std::string ExpiryRuleId(std::string_view prefix) {
  if (prefix.empty()) return std::string(kIdBase);
  std::string id = std::string(kIdBase) + "-" + std::string(prefix);
  if (id.size() > kMaxIdLength) id = std::string(kIdBase) + "-" + Sha256Hex(prefix);
  return id;
}

common::Result<LifecycleMerge> MergeExpiryRule(std::string_view existing, std::string_view prefix,
                                               int64_t days) {
  auto rules = ParseLifecycle(existing);
  if (!rules) return rules.status();
  const std::string id = ExpiryRuleId(prefix);
  bool legacy = false;
  for (const LifecycleRule& rule : *rules) legacy |= rule.id != id && rule.legacy_prefix;
  const std::string ours = RuleXml(id, prefix, days, legacy);

  LifecycleMerge merge;
  std::string xml = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  bool placed = false;
  for (const LifecycleRule& rule : *rules) {
    if (rule.id != id) {
      xml += "<Rule>" + rule.raw + "</Rule>";
      continue;
    }
    if (placed) {  // a duplicate ID (S3 refuses those): keep one
      merge.changed = true;
      continue;
    }
    placed = true;
    const bool same = rule.prefix == prefix && rule.status == "Enabled" &&
                      rule.expiration_days == days && rule.legacy_prefix == legacy;
    if (!same) merge.changed = merge.replaced = true;
    xml += "<Rule>" + (same ? rule.raw : ours) + "</Rule>";
  }
  if (!placed) {
    xml += "<Rule>" + ours + "</Rule>";
    merge.changed = true;
  }
  merge.xml = xml + "</LifecycleConfiguration>";
  return merge;
}

}  // namespace hourglass::archive
