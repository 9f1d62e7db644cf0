#include "archive/shipping/sealed_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "archive/audit/audit_files.h"
#include "archive/audit/audit_format.h"
#include "common/atomic_file.h"

namespace hourglass::archive {
namespace {

namespace json = boost::json;

std::string String(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

uint64_t Unsigned(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v && v->is_uint64()) return v->as_uint64();
  if (v && v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return 0;
}

common::Result<json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return common::Status::Error(std::string(what) + " is not a JSON object");
  }
  return std::move(value.as_object());
}

}  // namespace

std::string_view UploadPhaseName(UploadPhase phase) {
  switch (phase) {
    case UploadPhase::kPending:
      return "pending";
    case UploadPhase::kUploading:
      return "uploading";
    case UploadPhase::kDone:
      return "done";
    case UploadPhase::kConflict:
      return "conflict";
  }
  return "pending";
}

std::string ManifestJson(const SealedManifest& m) {
  json::object o{{"file", m.file},
                 {"source", m.source},
                 {"hour", HourStamp(m.hour)},
                 {"hour_index", m.hour},
                 {"segment", m.segment},
                 {"part", m.part},
                 {"from", m.from},
                 {"to", m.to},
                 {"first_seen_micros", m.first_seen_micros},
                 {"compression", m.compression},
                 {"bytes", m.bytes},
                 {"sha256", m.sha256},
                 {"raw_bytes", m.raw_bytes},
                 {"raw_sha256", m.raw_sha256},
                 {"lines", m.lines},
                 {"sealed", Rfc3339Micros(m.sealed_micros)},
                 {"sealed_micros", m.sealed_micros}};
  return json::serialize(o) + "\n";
}

common::Result<SealedManifest> ParseManifest(std::string_view text) {
  auto o = ParseObject(text, "manifest");
  if (!o) return o.status();
  SealedManifest m;
  m.file = String(*o, "file");
  m.source = String(*o, "source");
  m.hour = static_cast<int64_t>(Unsigned(*o, "hour_index"));
  m.segment = static_cast<int>(Unsigned(*o, "segment"));
  m.part = static_cast<int>(Unsigned(*o, "part"));
  m.from = Unsigned(*o, "from");
  m.to = o->contains("to") ? Unsigned(*o, "to") : Unsigned(*o, "raw_bytes");
  m.first_seen_micros = static_cast<int64_t>(Unsigned(*o, "first_seen_micros"));
  m.compression = String(*o, "compression");
  m.bytes = Unsigned(*o, "bytes");
  m.sha256 = String(*o, "sha256");
  m.raw_bytes = Unsigned(*o, "raw_bytes");
  m.raw_sha256 = String(*o, "raw_sha256");
  m.lines = Unsigned(*o, "lines");
  m.sealed_micros = static_cast<int64_t>(Unsigned(*o, "sealed_micros"));
  if (m.file.empty() || m.sha256.size() != 64 || m.segment < 1 || m.to < m.from ||
      m.to - m.from != m.raw_bytes) {
    return common::Status::Error("manifest lacks file, segment or sha256, or its range is wrong");
  }
  return m;
}

std::string UploadStateJson(const UploadState& s) {
  json::object o{{"state", UploadPhaseName(s.phase)},
                 {"key", s.key},
                 {"outcome", s.outcome},
                 {"attempts", s.attempts},
                 {"updated", Rfc3339Micros(s.updated_micros)}};
  return json::serialize(o) + "\n";
}

common::Result<UploadState> ParseUploadState(std::string_view text) {
  auto o = ParseObject(text, "upload state");
  if (!o) return o.status();
  UploadState s;
  const std::string phase = String(*o, "state");
  for (auto p : {UploadPhase::kPending, UploadPhase::kUploading, UploadPhase::kDone,
                 UploadPhase::kConflict}) {
    if (phase == UploadPhaseName(p)) s.phase = p;
  }
  s.key = String(*o, "key");
  s.outcome = String(*o, "outcome");
  s.attempts = Unsigned(*o, "attempts");
  return s;
}

common::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                   std::string_view body) {
  return common::WriteFileAtomically(dir + "/" + name, body);
}

common::Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return common::Status::Error("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace hourglass::archive
