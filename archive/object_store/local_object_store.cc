#include "archive/object_store/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTempDir = ".hourglass-tmp";
constexpr std::string_view kMetaDir = ".hourglass-meta";
constexpr std::string_view kReservedPrefix = ".hourglass-";

StoreError Errno(std::string what, const fs::path& path, int err) {
  return {ErrorKind::kLocal, what + " " + path.string() + ": " + std::strerror(err)};
}

StoreResult<void> FsyncPath(const fs::path& path, int flags) {
  common::UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) return Errno("cannot open", path, errno);
  if (::fsync(fd.get()) != 0) return Errno("cannot fsync", path, errno);
  return {};
}

StoreResult<void> CreateDirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return StoreError{ErrorKind::kLocal, "cannot create " + dir.string() + ": " + ec.message()};
  return {};
}

// Copies src into the new file dst (O_EXCL) and fsyncs it.
StoreResult<void> CopyFile(const fs::path& src, const fs::path& dst) {
  common::UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return Errno("cannot open", src, errno);
  common::UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.valid()) return Errno("cannot create", dst, errno);
  std::array<char, 1 << 16> buf;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", src, errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buf.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Errno("cannot write", dst, errno);
      done += w;
    }
  }
  if (::fsync(out.get()) != 0) return Errno("cannot fsync", dst, errno);
  return {};
}

std::map<std::string, std::string> ReadMetaFile(const fs::path& path) {
  std::map<std::string, std::string> meta;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) meta[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return meta;
}

}  // namespace

common::Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(fs::path root,
                                                                         bool create) {
  std::error_code ec;
  if (!create) {
    if (!fs::is_directory(root, ec)) {
      const fs::path shown = fs::absolute(root, ec).lexically_normal();
      return common::Status::Error("archive: file://" + (ec ? root : shown).string() +
                                   " does not exist");
    }
    return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(root)));
  }
  fs::create_directories(root / kTempDir, ec);
  if (!ec) fs::create_directories(root / kMetaDir, ec);
  if (ec)
    return common::Status::Error("archive: cannot create " + root.string() + ": " + ec.message());
  if (::access(root.c_str(), W_OK) != 0) {
    return common::Status::Error("archive: " + root.string() + " is not writable");
  }
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(root)));
}

std::string LocalObjectStore::Describe() const { return "file://" + root_.string(); }

std::string LocalObjectStore::Presign(std::string_view key, PresignMethod, int64_t, int64_t) const {
  return "file://" + (root_ / key).string();
}

StoreResult<void> LocalObjectStore::CheckKey(std::string_view key) const {
  if (!IsValidKey(key) || key.starts_with(kReservedPrefix)) {
    return StoreError{ErrorKind::kPermanent, "invalid object key \"" + std::string(key) + "\""};
  }
  return {};
}

StoreResult<PutOutcome> LocalObjectStore::Put(std::string_view key, const fs::path& file,
                                              const PutOptions& options) {
  if (auto ok = CheckKey(key); !ok) return ok.error();
  StoreResult<FileDigests> digests = DigestFile(file);
  if (!digests) return digests.error();
  fs::path target = root_ / key;
  if (::access(target.c_str(), F_OK) == 0) return CompareExisting(key, *digests);
  StoreResult<fs::path> temp = CopyToTemp(file, *digests);
  if (!temp) return temp.error();
  StoreResult<void> meta = WriteMetadata(key, *digests, options);
  if (meta.ok()) meta = CreateDirs(target.parent_path());
  if (!meta) {
    ::unlink(temp->c_str());
    return meta.error();
  }
  int rc = ::link(temp->c_str(), target.c_str());
  int err = errno;
  ::unlink(temp->c_str());
  if (rc != 0 && err == EEXIST) return CompareExisting(key, *digests);  // lost a race
  if (rc != 0) return Errno("cannot link", target, err);
  if (auto synced = FsyncPath(target.parent_path(), O_RDONLY | O_DIRECTORY); !synced) {
    return synced.error();
  }
  return PutOutcome::kUploaded;
}

StoreResult<PutOutcome> LocalObjectStore::CompareExisting(std::string_view key,
                                                          const FileDigests& digests) {
  StoreResult<ObjectInfo> info = Head(key);
  if (!info) return info.error();
  if (info->size != digests.size) return PutOutcome::kConflictDifferent;
  auto it = info->metadata.find(std::string(kSha256MetadataName));
  std::string sha256;
  if (it != info->metadata.end()) {
    sha256 = it->second;
  } else {
    StoreResult<FileDigests> existing = DigestFile(root_ / key);
    if (!existing) return existing.error();
    sha256 = existing->sha256_hex;
  }
  return sha256 == digests.sha256_hex ? PutOutcome::kAlreadyIdentical
                                      : PutOutcome::kConflictDifferent;
}

StoreResult<fs::path> LocalObjectStore::CopyToTemp(const fs::path& file,
                                                   const FileDigests& digests) {
  fs::path temp = root_ / kTempDir /
                  ("put-" + std::to_string(::getpid()) + "-" + std::to_string(++temp_counter_));
  ::unlink(temp.c_str());  // a leftover from a crashed process with the same pid
  if (auto copied = CopyFile(file, temp); !copied) {
    ::unlink(temp.c_str());
    return copied.error();
  }
  StoreResult<FileDigests> check = DigestFile(temp);  // end to end: what landed on disk
  if (!check || check->sha256_hex != digests.sha256_hex) {
    ::unlink(temp.c_str());
    if (!check) return check.error();
    return StoreError{ErrorKind::kLocal, "file " + file.string() + " changed while being stored"};
  }
  return temp;
}

StoreResult<void> LocalObjectStore::WriteMetadata(std::string_view key, const FileDigests& digests,
                                                  const PutOptions& options) {
  std::ostringstream text;
  text << "etag=" << digests.md5_hex << "\ncontent-type=" << options.content_type << "\n";
  text << "meta." << kSha256MetadataName << "=" << digests.sha256_hex << "\n";
  for (const auto& [name, value] : options.metadata) {
    if (name.find_first_of("=\n") != std::string::npos || value.find('\n') != std::string::npos) {
      return StoreError{ErrorKind::kPermanent, "invalid metadata \"" + name + "\""};
    }
    if (name != kSha256MetadataName) text << "meta." << name << "=" << value << "\n";
  }
  fs::path meta = root_ / kMetaDir / key;
  if (auto ok = CreateDirs(meta.parent_path()); !ok) return ok;
  if (auto ok = common::WriteFileAtomically(meta.string(), text.str()); !ok) {
    return StoreError{ErrorKind::kLocal, ok.message()};
  }
  return {};
}

StoreResult<ObjectInfo> LocalObjectStore::Head(std::string_view key) {
  if (auto ok = CheckKey(key); !ok) return ok.error();
  fs::path target = root_ / key;
  struct stat st;
  if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return StoreError{ErrorKind::kNotFound, "no object " + std::string(key) + " in " + Describe()};
  }
  ObjectInfo info{.key = std::string(key),
                  .size = static_cast<uint64_t>(st.st_size),
                  .last_modified_s = st.st_mtime};
  for (auto& [name, value] : ReadMetaFile(root_ / kMetaDir / key)) {
    if (name == "etag") info.etag = value;
    if (name.starts_with("meta.")) info.metadata[name.substr(5)] = value;
  }
  if (info.etag.empty()) {  // written by hand or torn: compute it
    StoreResult<FileDigests> digests = DigestFile(target);
    if (!digests) return digests.error();
    info.etag = digests->md5_hex;
  }
  return info;
}

StoreResult<ObjectInfo> LocalObjectStore::Get(std::string_view key, const ByteSink& sink) {
  StoreResult<ObjectInfo> info = Head(key);
  if (!info) return info;
  fs::path target = root_ / key;
  common::UniqueFd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Errno("cannot open", target, errno);
  std::array<char, 1 << 16> buf;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", target, errno);
    if (n == 0) break;
    if (!sink(std::span<const char>(buf.data(), n))) {
      return StoreError{ErrorKind::kLocal, "download of " + std::string(key) + " aborted"};
    }
  }
  info->metadata.clear();
  return info;
}

StoreResult<ListPage> LocalObjectStore::List(std::string_view prefix, std::string_view token,
                                             int max_keys) {
  std::vector<ObjectInfo> found;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(root_, ec);
  if (ec)
    return StoreError{ErrorKind::kLocal, "cannot list " + root_.string() + ": " + ec.message()};
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return StoreError{ErrorKind::kLocal, "cannot list " + root_.string() + ": " + ec.message()};
    std::string rel = fs::relative(it->path(), root_).generic_string();
    if (it->is_directory() && rel.starts_with(kReservedPrefix)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || !rel.starts_with(prefix) || rel <= token) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) continue;
    found.push_back(
        {.key = rel, .size = static_cast<uint64_t>(st.st_size), .last_modified_s = st.st_mtime});
  }
  std::sort(found.begin(), found.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  ListPage page;
  if (found.size() > static_cast<size_t>(max_keys)) {
    found.resize(max_keys);
    page.next_token = found.back().key;
  }
  for (ObjectInfo& info : found) {
    auto meta = ReadMetaFile(root_ / kMetaDir / info.key);
    info.etag = meta["etag"];
  }
  page.objects = std::move(found);
  return page;
}

StoreResult<void> LocalObjectStore::Delete(std::string_view key) {
  if (auto ok = CheckKey(key); !ok) return ok;
  fs::path target = root_ / key;
  if (::unlink(target.c_str()) != 0 && errno != ENOENT)
    return Errno("cannot delete", target, errno);
  fs::path meta = root_ / kMetaDir / key;
  if (::unlink(meta.c_str()) != 0 && errno != ENOENT) return Errno("cannot delete", meta, errno);
  return {};
}

}  // namespace hourglass::archive
