// AuditWriter: appends audit lines to hourly files in one directory, from one
// writer thread fed by many connections (see the DESIGN note in
// audit_writer.cc). Submit() and Sync() may be called from any thread;
// Submit's callback runs on the writer thread and must not block. Open and
// Close belong to the control thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "archive/audit/audit_files.h"
#include "archive/audit/audit_format.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/status.h"

namespace hourglass::archive {

enum class FsyncMode { kAlways, kInterval, kNever };

// "always" | "interval" | "never".
common::Result<FsyncMode> ParseFsyncMode(std::string_view text);

struct AuditOptions {
  std::string dir = "hourglass-data/audit";  // created if missing
  std::string prefix = "audit";              // PREFIX-20261121T0500Z.log
  AuditFormat format = AuditFormat::kJson;
  FsyncMode fsync = FsyncMode::kInterval;
  int64_t fsync_interval_ms = 1000;  // for FsyncMode::kInterval
  int64_t retry_interval_ms = 1000;  // after an I/O error (disk full)
};

struct AuditEntry {
  int64_t received_micros = 0;  // picks the hourly file
  std::string line;             // one formatted line, without LF
};

class AuditWriter {
 public:
  // Called once the batch is written (FsyncMode::kAlways: and on disk), or
  // with an error if the writer gave up on it (FailPending, Close).
  using Done = std::function<void(const common::Status&)>;
  enum class CloseMode {
    kKeepOpen,  // the hour stays open: a restart in the same hour appends to it
    kComplete,  // mark the partial hour complete: a restart writes segment -2
  };

  // Creates the directory, repairs files left open by a crash (torn last
  // line cut off), marks files of past hours complete, starts the thread.
  static common::Result<std::unique_ptr<AuditWriter>> Open(const AuditOptions& options,
                                                           const common::Clock& clock,
                                                           common::StatsRegistry& stats);
  ~AuditWriter();  // Close(kKeepOpen)
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  AuditFormat format() const { return options_.format; }
  const std::string& dir() const { return options_.dir; }

  // Queues `entries` to be appended in order, after every batch submitted
  // before. While writes fail (disk full), batches wait and `done` is late:
  // callers that wait for it before reading more get back-pressure.
  void Submit(std::vector<AuditEntry> entries, Done done);

  // Blocks until everything submitted before is written and fsynced and the
  // hour has been rolled if the clock passed it. Fails while writes fail.
  common::Status Sync();

  // The size in whole written lines of `name` while it is the open file (a
  // write that fails part-way is cut back, never below it); nullopt when no
  // file of that name is open. Any thread: the archive ships parts up to it.
  std::optional<uint64_t> WrittenSize(std::string_view name) const;

  // Gives up on every batch not yet written: their callbacks get an error.
  void FailPending();

  // Writes what is queued, fsyncs and closes the open file, stops the
  // thread. Idempotent; Submit afterwards fails at once.
  common::Status Close(CloseMode mode = CloseMode::kKeepOpen);

 private:
  struct Counters;
  struct Batch {
    std::vector<AuditEntry> entries;
    Done done;
  };
  struct OpenFile {
    AuditFileInfo info;
    AppendFile file;
  };

  AuditWriter(const AuditOptions& options, const common::Clock& clock,
              common::StatsRegistry& stats);
  common::Status Recover();
  void Run();
  void Step(bool closing);
  void Finish();
  common::Status RollIfHourPassed();
  common::Status WritePending();
  common::Status WriteRun();
  common::Status RollTo(int64_t hour);
  common::Status CloseFile(bool complete);
  common::Status SyncIfDue(bool force);
  void CompletePending(const common::Status& status);
  void SetFailed(const common::Status& status);
  void Publish();  // the open file's name and size, for WrittenSize
  int64_t WaitMillis() const;

  const AuditOptions options_;
  const common::Clock& clock_;
  common::StatsRegistry& stats_;
  std::unique_ptr<Counters> counters_;

  std::mutex mu_;  // guards queue_, sync_requests_, the flags below and close_status_
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  std::vector<Done> sync_requests_;
  bool closing_ = false;
  bool closed_ = false;
  bool fail_pending_ = false;
  CloseMode close_mode_ = CloseMode::kKeepOpen;
  common::Status close_status_;

  // Writer thread only.
  std::deque<Batch> pending_;  // taken from queue_, not yet acknowledged
  std::vector<Done> syncs_;    // Sync() calls waiting for pending_ to be on disk
  size_t cursor_batch_ = 0;    // first entry of pending_ not yet written
  size_t cursor_entry_ = 0;
  std::optional<OpenFile> open_;
  int64_t floor_hour_ = 0;  // the latest hour opened or passed; earlier entries go here
  bool failed_ = false;     // writes are failing; retry at retry_at_
  std::chrono::steady_clock::time_point retry_at_;
  std::chrono::steady_clock::time_point last_sync_;
  std::string buffer_;

  mutable std::mutex published_mu_;  // guards the two below
  std::string published_name_;
  uint64_t published_size_ = 0;

  std::thread thread_;
};

}  // namespace hourglass::archive
