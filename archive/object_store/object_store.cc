#include "archive/object_store/object_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/unique_fd.h"

namespace hourglass::archive {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

StoreError LocalError(std::string what, const std::filesystem::path& path, int err) {
  return {ErrorKind::kLocal, what + " " + path.string() + ": " + std::strerror(err)};
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kPermanent:
      return "permanent";
    case ErrorKind::kLocal:
      return "local";
  }
  return "unknown";
}

std::string_view PutOutcomeName(PutOutcome outcome) {
  switch (outcome) {
    case PutOutcome::kUploaded:
      return "uploaded";
    case PutOutcome::kAlreadyIdentical:
      return "already_identical";
    case PutOutcome::kConflictDifferent:
      return "conflict_different";
  }
  return "unknown";
}

StoreResult<FileDigests> DigestFile(const std::filesystem::path& file, uint64_t offset,
                                    std::optional<uint64_t> length) {
  common::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return LocalError("cannot open", file, errno);
  MdCtx md5(EVP_MD_CTX_new());
  MdCtx sha(EVP_MD_CTX_new());
  if (!md5 || !sha || !EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr) ||
      !EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr)) {
    return StoreError{ErrorKind::kLocal, "OpenSSL digest setup failed"};
  }
  FileDigests out;
  std::array<char, 1 << 16> buf;
  uint64_t remaining = length.value_or(UINT64_MAX);
  while (remaining > 0) {
    size_t want = remaining < buf.size() ? remaining : buf.size();
    ssize_t n = ::pread(fd.get(), buf.data(), want, static_cast<off_t>(offset + out.size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return LocalError("cannot read", file, errno);
    if (n == 0) break;
    EVP_DigestUpdate(md5.get(), buf.data(), n);
    EVP_DigestUpdate(sha.get(), buf.data(), n);
    out.size += n;
    remaining -= n;
  }
  if (length && out.size != *length) {
    return StoreError{ErrorKind::kLocal, "file " + file.string() + " is shorter than expected"};
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(md5.get(), md, &md_len);
  out.md5_hex = common::HexEncode(md, md_len);
  unsigned char b64[64];
  int b64_len = EVP_EncodeBlock(b64, md, static_cast<int>(md_len));
  out.md5_base64.assign(reinterpret_cast<char*>(b64), b64_len);
  EVP_DigestFinal_ex(sha.get(), md, &md_len);
  out.sha256_hex = common::HexEncode(md, md_len);
  return out;
}

bool IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > 1024 || key.front() == '/') return false;
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

StoreResult<ObjectInfo> ObjectStore::GetToFile(std::string_view key,
                                               const std::filesystem::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {  // never rename over /dev/stdout
    return StoreError{ErrorKind::kLocal, file.string() + " is not a regular file"};
  }
  auto out = common::AtomicFile::Create(file.string(), file.string() + ".part");
  if (!out) return StoreError{ErrorKind::kLocal, out.status().message()};
  common::Status written;
  auto sink = [&](std::span<const char> bytes) {
    written = out->Write(std::string_view(bytes.data(), bytes.size()));
    return written.ok();
  };
  StoreResult<ObjectInfo> info = Get(key, sink);
  if (!written) return StoreError{ErrorKind::kLocal, written.message()};
  if (!info.ok()) return info;
  if (auto committed = out->Commit(); !committed) {
    return StoreError{ErrorKind::kLocal, committed.message()};
  }
  return info;
}

StoreResult<std::vector<ObjectInfo>> ObjectStore::ListAll(std::string_view prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    StoreResult<ListPage> page = List(prefix, token);
    if (!page.ok()) return page.error();
    for (ObjectInfo& info : page->objects) all.push_back(std::move(info));
    token = std::move(page->next_token);
  } while (!token.empty());
  return all;
}

}  // namespace hourglass::archive
