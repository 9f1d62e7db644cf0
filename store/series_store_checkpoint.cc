// SeriesStore::Impl's checkpoints of the heads (DESIGN note in
// series_store_heads.cc): when one is due, the checkpoint thread that runs
// it after the Write that asked, and the checkpoint itself.
#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "store/heads_format.h"
#include "store/series_store_impl.h"

namespace hourglass::store {
namespace {

using namespace heads_format;

constexpr uint64_t kCheckpointWalBytes = 64u << 20;

}  // namespace

bool SeriesStore::Impl::CheckpointDue() const {
  return wal_ && wal_->appended_bytes() - wal_bytes_at_checkpoint_ >=
                     std::max<uint64_t>(kCheckpointWalBytes, 2 * heads_.bytes());
}

void SeriesStore::Impl::CheckpointLoop() {
  std::unique_lock lock(checkpoint_mu_);
  while (true) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || checkpoint_stop_; });
    if (checkpoint_stop_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    {
      std::lock_guard write_lock(write_mu_);
      std::shared_lock db_lock(db_mu_);
      if (!closed_ && db_ != nullptr) {
        if (auto st = Checkpoint(false); !st.ok()) {
          if (const uint64_t n = checkpoint_log_.Take(clock_.NowSeconds()))
            spdlog::warn("metric store: {} ({} time(s) since the last line)", st.message(), n);
        }
      }
    }
    lock.lock();
  }
}

void SeriesStore::Impl::StopCheckpoints() {
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_one();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

common::Status SeriesStore::Impl::Checkpoint(bool force) {
  if (!wal_) return common::Status::Ok();
  if (!force && !wal_unlogged_ && !CheckpointDue()) {
    // Append syncs once a second while points come; this syncs an idle tail.
    const int64_t now = clock_.NowMicros();
    if (now - last_wal_sync_micros_ < 1'000'000) return common::Status::Ok();
    last_wal_sync_micros_ = now;
    return wal_->Sync();
  }
  const uint64_t seq = wal_->next_sequence() - 1;  // every record so far
  const uint64_t generation = heads_generation_ + 1;
  rocksdb::WriteBatch batch;
  {
    std::unique_lock heads_lock(heads_mu_);
    // Every head, in chunks of about kChunkBytes: a few large values instead
    // of one key per series (1 M heads as keys took ~5 s to write).
    std::string chunk;
    uint32_t chunks = 0;
    auto put_chunk = [&] {
      batch.Put(handles_[4], ChunkKey(generation, chunks++), chunk);
      chunk.clear();
    };
    heads_.ForEach([&](const DataKey& k, const RawHeads::Head& head) {
      AppendHead(k, head.combine, head.schema, head.block.bytes(), &chunk);
      if (chunk.size() >= kChunkBytes) put_chunk();
    });
    if (!chunk.empty()) put_chunk();
    // The older generations' chunks, the markers (they guard only records
    // before this checkpoint) and heads stored one per key (before chunks)
    // go: every key below this generation's first chunk.
    batch.DeleteRange(handles_[4], rocksdb::Slice(), ChunkKey(generation, 0));
    batch.Put(handles_[0], kHeadsSeqKey, std::to_string(seq));
    batch.Put(handles_[0], kHeadsGenerationKey, std::to_string(generation));
    std::lock_guard commit_lock(commit_mu_);
    if (!writable_) return common::Status::Error("checkpoint deferred: the store cannot write");
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (s.ok()) s = db_->FlushWAL(true);
    if (!s.ok()) {
      MarkFailedLocked(s, true);  // RocksDB's WAL may be failed: reopen
      return common::Status::Error("checkpoint failed: " + s.ToString());
    }
    if (!wal_failure_.empty()) {
      wal_failure_.clear();
      ReportLocked();
    }
  }
  heads_generation_ = generation;
  wal_bytes_at_checkpoint_ = wal_->appended_bytes();
  wal_unlogged_ = false;
  if (auto deleted = wal_->DeleteBefore(seq + 1); !deleted.ok()) return deleted.status();
  return common::Status::Ok();
}

}  // namespace hourglass::store
