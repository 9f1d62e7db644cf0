// The bucket lifecycle merge: Hourglass's expiry rule is added, updated in
// place by its ID, left alone when already right, and every other rule keeps
// its XML byte for byte; documents that cannot be read are refused rather
// than overwritten. Also the start-up hook's warning on a local store.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "archive/object_store/bucket_lifecycle.h"
#include "archive/object_store/local_object_store.h"
#include "archive/object_store/store_expiry.h"

using namespace hourglass::archive;

namespace {

// As AWS (and boto3's put_bucket_lifecycle_configuration) leave it: a foreign
// rule with a tag filter, a transition and an abort rule.
const std::string kForeignRule =
    "<ID>move-to-glacier</ID><Filter><And><Prefix>builds/</Prefix><Tag><Key>ID</Key>"
    "<Value>a&amp;b</Value></Tag></And></Filter><Status>Enabled</Status><Transition><Days>30</Days>"
    "<StorageClass>GLACIER</StorageClass></Transition><AbortIncompleteMultipartUpload>"
    "<DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>";

std::string Document(const std::string& rules) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LifecycleConfiguration "
         "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
         rules + "</LifecycleConfiguration>";
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a bucket without lifecycle gets one enabled rule under the prefix") {
  auto merge = MergeExpiryRule("", "audit/", 60);
  REQUIRE(merge);
  CHECK(merge->changed);
  CHECK_FALSE(merge->replaced);
  auto rules = ParseLifecycle(merge->xml);
  REQUIRE(rules);
  REQUIRE(rules->size() == 1);
  CHECK((*rules)[0].id == "hourglass-expire-audit/");
  CHECK((*rules)[0].prefix == "audit/");
  CHECK((*rules)[0].status == "Enabled");
  CHECK((*rules)[0].expiration_days == 60);
  CHECK_FALSE((*rules)[0].legacy_prefix);
}

TEST_CASE("a foreign rule survives byte for byte beside ours") {
  const std::string existing = Document("<Rule>" + kForeignRule + "</Rule>");
  auto merge = MergeExpiryRule(existing, "audit/", 60);
  REQUIRE(merge);
  CHECK(merge->xml.find("<Rule>" + kForeignRule + "</Rule>") != std::string::npos);
  auto rules = ParseLifecycle(merge->xml);
  REQUIRE(rules);
  REQUIRE(rules->size() == 2);
  CHECK((*rules)[0].id == "move-to-glacier");
  CHECK((*rules)[0].prefix == "builds/");   // Filter/And/Prefix
  CHECK((*rules)[0].expiration_days == 0);  // a Transition is not an Expiration
  CHECK((*rules)[1].id == "hourglass-expire-audit/");
}

TEST_CASE("a new duration replaces our rule in place, never a second copy") {
  auto first = MergeExpiryRule(Document("<Rule>" + kForeignRule + "</Rule>"), "audit/", 60);
  REQUIRE(first);
  auto second = MergeExpiryRule(first->xml, "audit/", 45);
  REQUIRE(second);
  CHECK(second->changed);
  CHECK(second->replaced);
  CHECK(Count(second->xml, "<ID>hourglass-expire-audit/</ID>") == 1);
  CHECK(Count(second->xml, "<Days>45</Days>") == 1);
  CHECK(Count(second->xml, "<Days>60</Days>") == 0);
  CHECK(second->xml.find(kForeignRule) != std::string::npos);
}

TEST_CASE("the same rule read back (in AWS's element order) needs no PUT") {
  // AWS returns Expiration before ID; the fields decide, not the byte order.
  const std::string ours =
      "<Rule><Expiration><Days>60</Days></Expiration><ID>hourglass-expire-audit/</ID>"
      "<Filter><Prefix>audit/</Prefix></Filter><Status>Enabled</Status></Rule>";
  auto merge = MergeExpiryRule(Document(ours), "audit/", 60);
  REQUIRE(merge);
  CHECK_FALSE(merge->changed);
  // A disabled copy of our rule is switched back on.
  std::string disabled = ours;
  disabled.replace(disabled.find("Enabled"), 7, "Disabled");
  auto enable = MergeExpiryRule(Document(disabled), "audit/", 60);
  REQUIRE(enable);
  CHECK(enable->changed);
  CHECK(enable->xml.find("<Status>Enabled</Status>") != std::string::npos);
}

TEST_CASE("another prefix is another rule; an empty prefix is the whole bucket") {
  auto a = MergeExpiryRule("", "a/", 10);
  REQUIRE(a);
  auto b = MergeExpiryRule(a->xml, "b/", 20);
  REQUIRE(b);
  auto rules = ParseLifecycle(b->xml);
  REQUIRE(rules);
  REQUIRE(rules->size() == 2);
  CHECK((*rules)[0].expiration_days == 10);
  CHECK((*rules)[1].prefix == "b/");
  CHECK(ExpiryRuleId("") == "hourglass-expire");
  const std::string long_prefix(300, 'p');
  CHECK(ExpiryRuleId(long_prefix).size() <= 255);
  CHECK(ExpiryRuleId(long_prefix) != ExpiryRuleId(long_prefix + "q"));
}

TEST_CASE("legacy Rule/Prefix rules are kept, and ours follows their form") {
  const std::string legacy =
      "<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status>"
      "<Expiration><Days>5</Days></Expiration></Rule>";
  auto merge = MergeExpiryRule(Document(legacy), "audit/", 60);
  REQUIRE(merge);
  CHECK(merge->xml.find(legacy) != std::string::npos);
  auto rules = ParseLifecycle(merge->xml);
  REQUIRE(rules);
  REQUIRE(rules->size() == 2);
  CHECK((*rules)[0].legacy_prefix);
  CHECK((*rules)[0].prefix == "logs/");
  CHECK((*rules)[0].expiration_days == 5);
  CHECK((*rules)[1].legacy_prefix);
  CHECK((*rules)[1].prefix == "audit/");
  CHECK(merge->xml.find("<Filter>") == std::string::npos);
}

TEST_CASE("special characters in the prefix are escaped and read back") {
  auto merge = MergeExpiryRule("", "a&b<c>/", 7);
  REQUIRE(merge);
  CHECK(merge->xml.find("<Prefix>a&amp;b&lt;c&gt;/</Prefix>") != std::string::npos);
  auto again = MergeExpiryRule(merge->xml, "a&b<c>/", 7);
  REQUIRE(again);
  CHECK_FALSE(again->changed);
}

TEST_CASE("a document that cannot be read is refused, not overwritten") {
  CHECK_FALSE(MergeExpiryRule("<Error><Code>Oops</Code></Error>", "audit/", 60));
  CHECK_FALSE(MergeExpiryRule("<LifecycleConfiguration><Rule><ID>x</ID>", "audit/", 60));
  CHECK_FALSE(MergeExpiryRule(Document("<Rule id=\"1\"><ID>x</ID></Rule>"), "audit/", 60));
}

TEST_CASE("a local store is not expired: a warning in /health, still ok") {
  const auto dir = std::filesystem::temp_directory_path() / "hg-expiry-local";
  std::filesystem::remove_all(dir);
  auto store = LocalObjectStore::Open(dir.string(), true);
  REQUIRE(store);
  hourglass::common::StatsRegistry stats;
  ApplyExpiry(**store, "", 0, stats);
  CHECK(stats.Health().empty());  // 0 days: nothing asked, nothing shown
  ApplyExpiry(**store, "", 60, stats);
  auto health = stats.Health();
  REQUIRE(health.size() == 1);
  CHECK(health[0].component == "archive_expiry");
  CHECK(health[0].state == hourglass::common::HealthState::kOk);
  CHECK(health[0].detail.find("warning") != std::string::npos);
  CHECK(health[0].detail.find("nothing expires") != std::string::npos);
  std::filesystem::remove_all(dir);
}
