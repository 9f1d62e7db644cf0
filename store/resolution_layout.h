// ResolutionLayout: which resolutions each series has, and what the resolution
// id (the first byte of every data key) means. A resolution is one level of a
// retention schema ("10s:1d"; carbon/whisper call it an archive). Retention
// schemas are carbon's storage-schemas.conf: the first schema whose pattern
// matches the name (tags stripped) decides, the default retentions take the
// rest. A resolution id stands for (raw step of its schema, step); ids are
// assigned once and persisted, so reordering, adding or re-timing schemas
// never moves points.
// Immutable after Create: any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/regex.h"
#include "common/status.h"
#include "store/series_store.h"

namespace hourglass::store {

// What a resolution id holds. `duration` is the longest configured retention
// using it (a schema with a shorter one clamps its reads), or the duration
// last persisted when no configured schema uses it any more (still expired).
struct ResolutionInfo {
  int64_t raw_step = 0;  // step of level 0 of the schemas using the id
  int64_t step = 0;
  int64_t duration = 0;
  bool configured = false;  // some configured schema uses it
};

class ResolutionLayout {
 public:
  struct Schema {
    std::string name;
    std::shared_ptr<const re2::RE2> regex;  // null for the default schema (the last one)
    std::vector<Retention> retentions;
    std::vector<uint8_t> ids;  // resolution id of each level
  };

  // `persisted` is the text a previous PersistedText() returned, or "" for a
  // new store; `legacy` is the retention string ("10:21600,60:604800") of a
  // store written before layouts existed (its ids are 0, 1, ...), or "".
  // Fails on a bad pattern, when more than 255 resolution ids would be
  // needed, or with more than 4096 schemas.
  static common::Result<ResolutionLayout> Create(const StoreOptions& options,
                                                 std::string_view persisted,
                                                 std::string_view legacy);

  // One line per resolution id: "ID RAW_STEP STEP DURATION".
  std::string PersistedText() const;

  // Index of the schema of `name` (tags are ignored); the default schema is
  // schemas().size() - 1.
  size_t Match(std::string_view name) const;
  const std::vector<Schema>& schemas() const { return schemas_; }
  // Indexed by resolution id.
  const std::vector<ResolutionInfo>& resolutions() const { return resolutions_; }

 private:
  std::vector<Schema> schemas_;
  std::vector<ResolutionInfo> resolutions_;
  // The patterns of every schema but the default, matched in one pass.
  std::shared_ptr<const common::FirstMatch> matcher_;
};

}  // namespace hourglass::store
