// Key layout of the "events" family: 16 bytes, big-endian (when_us with its
// sign bit flipped, so negative times sort first; then id). Value: what,
// data and tags, each as a 4-byte little-endian length and the bytes.
#include "store/event_store.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "store/series_store.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

constexpr size_t kKeySize = 16;

void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string EventKey(int64_t when_us, uint64_t id) {
  std::string key(kKeySize, '\0');
  PutBigEndian(static_cast<uint64_t>(when_us) ^ (uint64_t{1} << 63), key.data());
  PutBigEndian(id, key.data() + 8);
  return key;
}

void PutPart(std::string& out, std::string_view part) {
  const auto n = static_cast<uint32_t>(part.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(part);
}

bool GetLength(std::string_view& in, uint32_t* n) {
  if (in.size() < 4) return false;
  *n = 0;
  for (int i = 3; i >= 0; --i) *n = (*n << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(4);
  return true;
}

bool GetPart(std::string_view& in, std::string* out) {
  uint32_t n = 0;
  if (!GetLength(in, &n) || in.size() < n) return false;
  out->assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

std::vector<std::string> SplitStrip(std::string_view text, char delimiter) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(delimiter, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.front())))
      word.remove_prefix(1);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back())))
      word.remove_suffix(1);
    if (!word.empty()) words.emplace_back(word);
    start = end + 1;
  }
  return words;
}

}  // namespace

std::vector<std::string> EventTagWords(std::string_view tags) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < tags.size()) {
    while (i < tags.size() && std::isspace(static_cast<unsigned char>(tags[i]))) ++i;
    size_t j = i;
    while (j < tags.size() && !std::isspace(static_cast<unsigned char>(tags[j]))) ++j;
    if (j > i) words.emplace_back(tags.substr(i, j - i));
    i = j;
  }
  return words;
}

std::vector<std::string> ParseEventTags(std::string_view text) {
  std::vector<std::string> words =
      SplitStrip(text, text.find(',') != std::string_view::npos ? ',' : ' ');
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

bool EventTagsMatch(std::span<const std::string> tags, std::span<const std::string> wanted,
                    bool any) {
  bool asked = false;
  for (const std::string& w : wanted) {
    if (w.empty()) continue;
    asked = true;
    const bool has = std::binary_search(tags.begin(), tags.end(), w);
    if (any && has) return true;
    if (!any && !has) return false;
  }
  return asked && !any;
}

std::string EncodeEventValue(const Event& event) {
  std::string out;
  PutPart(out, event.what);
  PutPart(out, event.data);
  PutPart(out, event.tags);
  return out;
}

bool DecodeEventValue(std::string_view value, Event* event) {
  return GetPart(value, &event->what) && GetPart(value, &event->data) &&
         GetPart(value, &event->tags) && value.empty();
}

common::Status SeriesStore::WithEventFamily(
    const std::function<common::Status(rocksdb::DB&, rocksdb::ColumnFamilyHandle&)>& f) const {
  return impl_->WithEvents(f);
}

common::Result<uint64_t> EventStore::Add(const Event& event, uint64_t* dropped) {
  std::lock_guard lock(mu_);
  uint64_t id = 0;
  if (dropped != nullptr) *dropped = 0;
  common::Status s = store_.WithEventFamily([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle& cf) {
    if (next_id_ == 0) {  // ids are in the keys' second half: find the largest once
      uint64_t max_id = 0;
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), &cf));
      count_ = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() == kKeySize) {
          max_id = std::max(max_id, GetBigEndian(it->key().data() + 8));
          ++count_;
        }
      }
      if (!it->status().ok()) return common::Status::Error(it->status().ToString());
      next_id_ = max_id + 1;
    }
    id = next_id_;
    rocksdb::WriteBatch batch;
    uint64_t deleting = 0;
    if (count_ >= max_stored_) {  // the oldest go, in the same write
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), &cf));
      for (it->SeekToFirst(); it->Valid() && count_ - deleting >= max_stored_; it->Next()) {
        if (it->key().size() != kKeySize) continue;
        batch.Delete(&cf, it->key());
        ++deleting;
      }
      if (!it->status().ok()) return common::Status::Error(it->status().ToString());
    }
    batch.Put(&cf, EventKey(event.when_us, id), EncodeEventValue(event));
    rocksdb::Status put = db.Write(rocksdb::WriteOptions(), &batch);
    if (!put.ok()) return common::Status::Error(put.ToString());
    ++next_id_;
    count_ = count_ - deleting + 1;
    if (dropped != nullptr) *dropped = deleting;
    return common::Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

common::Status EventStore::Scan(const SeriesStore& store, int64_t from_us, int64_t until_us,
                                const std::function<bool(Event&&)>& visit) {
  if (from_us > until_us) return common::Status::Ok();
  return store.WithEventFamily([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle& cf) {
    const std::string first = EventKey(from_us, 0);
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), &cf));
    for (it->Seek(first); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != kKeySize) continue;
      Event event;
      event.when_us = static_cast<int64_t>(GetBigEndian(key.data()) ^ (uint64_t{1} << 63));
      if (event.when_us > until_us) break;
      event.id = GetBigEndian(key.data() + 8);
      if (!DecodeEventValue(it->value().ToStringView(), &event)) continue;
      if (!visit(std::move(event))) break;
    }
    if (!it->status().ok()) return common::Status::Error(it->status().ToString());
    return common::Status::Ok();
  });
}

}  // namespace hourglass::store
