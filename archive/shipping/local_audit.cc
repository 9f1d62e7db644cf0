#include "archive/shipping/local_audit.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <boost/json.hpp>

#include "archive/shipping/hour_time.h"
#include "archive/shipping/sealed_manifest.h"
#include "archive/shipping/sealer.h"

namespace hourglass::archive {
namespace {

struct Sealed {
  SealedManifest manifest;
  UploadState state;  // pending with no attempts when there is no record yet
};

// The manifests (and upload records) of the spool whose hour is in
// [first_hour, last_hour], by audit file name. Only names of that range are read.
std::map<std::string, std::vector<Sealed>> ReadSpool(const std::string& sealed_dir,
                                                     std::string_view prefix, int64_t first_hour,
                                                     int64_t last_hour) {
  std::map<std::string, std::vector<Sealed>> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(sealed_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.ends_with(kManifestSuffix)) continue;
    name.resize(name.size() - kManifestSuffix.size());
    const auto parsed = ParseSealedFileName(prefix, name);
    if (!parsed || parsed->audit.hour < first_hour || parsed->audit.hour > last_hour) continue;
    auto text = ReadSmallFile(it->path().string());
    auto manifest = text ? ParseManifest(*text) : common::Result<SealedManifest>(text.status());
    if (!manifest) continue;
    Sealed sealed{std::move(*manifest), {}};
    if (auto state = ReadSmallFile(sealed_dir + "/" + name + std::string(kUploadStateSuffix))) {
      if (auto parsed_state = ParseUploadState(*state)) sealed.state = *parsed_state;
    }
    out[sealed.manifest.source].push_back(std::move(sealed));
  }
  return out;
}

// The "lines" of a .complete marker (audit_files.cc writes it); nullopt if unreadable.
std::optional<uint64_t> MarkerLines(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto* lines = value.as_object().if_contains("lines");
  if (lines == nullptr || !lines->is_number()) return std::nullopt;
  return lines->to_number<uint64_t>();
}

void AddSealed(LocalAuditFile& file, std::vector<Sealed>& sealed) {
  std::sort(sealed.begin(), sealed.end(),
            [](const Sealed& a, const Sealed& b) { return a.manifest.from < b.manifest.from; });
  bool contiguous = true;  // every sealed file before this one is uploaded
  for (const Sealed& s : sealed) {
    const SealedManifest& m = s.manifest;
    ++file.sealed;
    file.sealed_to = std::max(file.sealed_to, m.to);
    if (m.part == 0) file.lines = m.lines;
    if (s.state.phase == UploadPhase::kDone) {
      ++file.uploaded;
      if (contiguous && m.from <= file.uploaded_to) {
        file.uploaded_to = std::max(file.uploaded_to, m.to);
      }
      continue;
    }
    contiguous = false;
    file.conflict |= s.state.phase == UploadPhase::kConflict;
    file.attempts = std::max(file.attempts, s.state.attempts);
  }
}

}  // namespace

std::string LocalAuditFile::State() const {
  if (!info.complete) return "open";
  if (sealed_to < size) return "complete, not sealed";
  if (conflict) return "conflict";
  if (uploaded < sealed) return attempts >= 2 ? "failed" : "pending upload";
  return "uploaded";
}

common::Result<std::vector<LocalAuditFile>> ListLocalAudit(const std::string& audit_dir,
                                                           std::string_view prefix,
                                                           const std::string& sealed_dir,
                                                           int64_t from_s, int64_t until_s) {
  std::vector<LocalAuditFile> out;
  if (until_s <= from_s) return out;
  const int64_t first_hour = from_s / 3600, last_hour = (until_s - 1) / 3600;
  std::error_code ec;
  if (!std::filesystem::exists(audit_dir, ec)) return out;  // nothing written yet
  auto files = ListAuditFiles(audit_dir, prefix);
  if (!files) return files.status();
  auto spool = ReadSpool(sealed_dir, prefix, first_hour, last_hour);
  for (AuditFileInfo& info : *files) {
    if (info.hour < first_hour || info.hour > last_hour) continue;
    LocalAuditFile file{.info = std::move(info)};
    file.path = audit_dir + "/" + file.info.name;
    struct stat st {};
    if (::stat(file.path.c_str(), &st) != 0) continue;  // deleted since the listing
    file.size = static_cast<uint64_t>(st.st_size);
    if (file.info.complete) file.lines = MarkerLines(file.path + std::string(kCompleteSuffix));
    if (auto it = spool.find(file.info.name); it != spool.end()) AddSealed(file, it->second);
    out.push_back(std::move(file));
  }
  return out;
}

std::string LocalAuditJson(const std::vector<LocalAuditFile>& files) {
  boost::json::array out;
  for (const LocalAuditFile& f : files) {
    boost::json::value lines = nullptr;
    if (f.lines) lines = *f.lines;
    out.push_back(boost::json::object{{"file", f.info.name},
                                      {"hour", FormatHour(f.info.hour)},
                                      {"segment", f.info.segment},
                                      {"state", f.State()},
                                      {"size", f.size},
                                      {"lines", std::move(lines)},
                                      {"sealed", f.sealed},
                                      {"uploaded", f.uploaded},
                                      {"attempts", f.attempts},
                                      {"uploaded_to", f.uploaded_to}});
  }
  return boost::json::serialize(out);
}

}  // namespace hourglass::archive
