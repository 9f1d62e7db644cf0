// DESIGN: the audit writer.
//
// Batching: connections call Submit() with the lines of one read; batches
// wait in one queue (queue_, under mu_). A single writer thread takes every
// queued batch at once and appends them with as few write() calls as
// possible (runs of lines of the same hour, up to kMaxWrite bytes each), so
// many connections share one write and one fsync.
//
// Ordering: a batch is appended whole and after every batch submitted
// before it. A connection submits its next batch only after the callback for
// the previous one, so its lines stay in order and it reads no faster than
// the disk takes them (back-pressure).
//
// Fsync: "always" acknowledges a batch only after fsync(); "interval"
// acknowledges after write() and fsyncs dirty files every fsync_interval_ms;
// "never" leaves it to the kernel (still fsyncs when a file is closed).
//
// Errors: a failed or short write is cut back (ftruncate) to the last whole
// line, so a half line is never followed by more data. The writer then holds
// every batch unacknowledged (connections stop reading), reports "audit" as
// degraded in /health and audit.paused = 1, and retries every
// retry_interval_ms until the disk takes the data again.
//
// Rollover: a line goes to the file of the UTC hour it was received in (or
// to the open hour if that is later: a line that raced the boundary by
// milliseconds is counted in audit.late_lines, never reopens a closed hour).
// When the clock passes the hour, even with no traffic, the file is fsynced,
// closed and handed to the archive side with NAME.complete written next to
// it (atomically: temp file, fsync, rename, fsync dir). A file without
// .complete is still being written.
//
// Recovery: Open() lists the directory; every file without .complete was
// open at a crash. Bytes after its last LF are a torn line: cut off, counted
// (audit.torn_lines_repaired) and logged. A file of a past hour is then
// marked complete; the current hour's file is reopened and appended to.
// Close(kComplete) marks the open hour complete too, and a later start in
// the same hour writes PREFIX-HOUR-2.log instead of touching it.
#include "archive/audit/audit_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

#include <spdlog/spdlog.h>

namespace hourglass::archive {
namespace {

constexpr size_t kMaxWrite = 1 << 20;
constexpr int64_t kMicrosPerHour = 3'600'000'000LL;

using SteadyClock = std::chrono::steady_clock;

int64_t MillisUntil(SteadyClock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when - SteadyClock::now()).count();
}

}  // namespace

struct AuditWriter::Counters {
  explicit Counters(common::StatsRegistry& s)
      : lines(s.GetCounter("audit.lines_written", "audit lines appended to hourly files")),
        bytes(s.GetCounter("audit.bytes_written", "bytes appended to hourly audit files")),
        fsyncs(s.GetCounter("audit.fsyncs", "fsync calls on audit files")),
        write_errors(s.GetCounter("audit.write_errors", "failed audit writes or fsyncs")),
        torn(s.GetCounter("audit.torn_lines_repaired", "torn last lines cut off after a crash")),
        completed(s.GetCounter("audit.files_completed", "hourly files closed and marked complete")),
        late(s.GetCounter("audit.late_lines", "lines received just before an hour already closed")),
        paused(s.GetGauge("audit.paused", "1 while audit writes fail and input is held back")) {}
  common::Counter& lines;
  common::Counter& bytes;
  common::Counter& fsyncs;
  common::Counter& write_errors;
  common::Counter& torn;
  common::Counter& completed;
  common::Counter& late;
  common::Gauge& paused;
};

common::Result<FsyncMode> ParseFsyncMode(std::string_view text) {
  if (text == "always") return FsyncMode::kAlways;
  if (text == "interval") return FsyncMode::kInterval;
  if (text == "never") return FsyncMode::kNever;
  return common::Status::Error("must be \"always\", \"interval\" or \"never\", not \"" +
                               std::string(text) + "\"");
}

AuditWriter::AuditWriter(const AuditOptions& options, const common::Clock& clock,
                         common::StatsRegistry& stats)
    : options_(options),
      clock_(clock),
      stats_(stats),
      counters_(std::make_unique<Counters>(stats)),
      last_sync_(SteadyClock::now()) {}

AuditWriter::~AuditWriter() { (void)Close(); }

common::Result<std::unique_ptr<AuditWriter>> AuditWriter::Open(const AuditOptions& options,
                                                               const common::Clock& clock,
                                                               common::StatsRegistry& stats) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return common::Status::Error("cannot create audit directory " + options.dir + ": " +
                                 ec.message());
  if (::access(options.dir.c_str(), W_OK | X_OK) != 0) {
    return common::Status::Error("audit directory " + options.dir +
                                 " is not writable: " + std::strerror(errno));
  }
  std::unique_ptr<AuditWriter> writer(new AuditWriter(options, clock, stats));
  if (auto status = writer->Recover(); !status.ok()) return status;
  stats.SetHealth("audit", common::HealthState::kOk);
  writer->thread_ = std::thread([w = writer.get()] { w->Run(); });
  return writer;
}

common::Status AuditWriter::Recover() {
  auto files = ListAuditFiles(options_.dir, options_.prefix);
  if (!files) return files.status();
  floor_hour_ = HourOf(clock_.NowMicros());
  for (const AuditFileInfo& info : *files) {
    if (info.complete) continue;
    const std::string path = options_.dir + "/" + info.name;
    auto file = AppendFile::Open(path);
    if (!file) return file.status();
    if (file->torn_bytes() > 0) {
      counters_->torn.Add();
      spdlog::warn("audit: cut a torn last line ({} bytes) off {} after a crash",
                   file->torn_bytes(), path);
    }
    if (open_) {  // two unfinished segments of this hour: the earlier one is done
      if (auto status = CloseFile(true); !status.ok()) return status;
    }
    open_ = OpenFile{info, std::move(*file)};
    if (info.hour < floor_hour_) {
      if (auto status = CloseFile(true); !status.ok()) return status;
    } else {
      Publish();
      spdlog::info("audit: appending to {} ({} lines)", path, open_->file.lines());
    }
  }
  return common::Status::Ok();
}

void AuditWriter::Submit(std::vector<AuditEntry> entries, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      queue_.push_back(Batch{std::move(entries), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  if (done) done(common::Status::Error("audit writer is closed"));
}

common::Status AuditWriter::Sync() {
  std::promise<common::Status> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mu_);
    if (closing_) return common::Status::Error("audit writer is closed");
    sync_requests_.push_back([&promise](const common::Status& s) { promise.set_value(s); });
    cv_.notify_one();
  }
  return future.get();
}

void AuditWriter::FailPending() {
  std::lock_guard lock(mu_);
  fail_pending_ = true;
  cv_.notify_one();
}

common::Status AuditWriter::Close(CloseMode mode) {
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      closing_ = true;
      close_mode_ = mode;
      cv_.notify_one();
    }
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return close_status_;
}

int64_t AuditWriter::WaitMillis() const {
  if (failed_) return std::clamp<int64_t>(MillisUntil(retry_at_), 1, 1000);
  int64_t ms = 1000;
  if (open_) {
    const int64_t now = clock_.NowMicros();
    ms = std::min(ms, ((HourOf(now) + 1) * kMicrosPerHour - now) / 1000 + 1);
    if (open_->file.dirty() && options_.fsync == FsyncMode::kInterval) {
      ms = std::min(ms, options_.fsync_interval_ms - (-MillisUntil(last_sync_)));
    }
  }
  return std::clamp<int64_t>(ms, 1, 1000);
}

void AuditWriter::Run() {
  for (;;) {
    bool closing = false;
    bool fail = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(WaitMillis()), [&] {
        return !queue_.empty() || !sync_requests_.empty() || closing_ || fail_pending_;
      });
      for (auto& batch : queue_) pending_.push_back(std::move(batch));
      queue_.clear();
      for (auto& done : sync_requests_) syncs_.push_back(std::move(done));
      sync_requests_.clear();
      closing = closing_;
      fail = std::exchange(fail_pending_, false);
    }
    Step(closing);
    if (fail || (closing && failed_)) {
      CompletePending(common::Status::Error("audit writes failing; batch abandoned"));
    }
    if (closing) return Finish();
  }
}

void AuditWriter::Step(bool closing) {
  if (failed_ && !closing && SteadyClock::now() < retry_at_) {
    if (!syncs_.empty()) {
      for (auto& done : std::exchange(syncs_, {}))
        done(common::Status::Error("audit writes failing"));
    }
    return;
  }
  common::Status status = WritePending();
  if (status.ok()) status = RollIfHourPassed();
  if (status.ok()) status = SyncIfDue(!syncs_.empty());
  for (auto& done : std::exchange(syncs_, {})) done(status);
  if (!status.ok()) return SetFailed(status);
  if (failed_) {
    failed_ = false;
    counters_->paused.Set(0);
    stats_.SetHealth("audit", common::HealthState::kOk);
    spdlog::info("audit: writes succeed again, input resumed");
  }
  CompletePending(common::Status::Ok());
}

void AuditWriter::Finish() {
  common::Status status = RollIfHourPassed();
  if (open_) {
    const bool complete = close_mode_ == CloseMode::kComplete;
    if (auto closed = CloseFile(complete); !closed.ok()) status = closed;
  }
  std::lock_guard lock(mu_);
  close_status_ = status;
  for (auto& batch : queue_) {
    if (batch.done) batch.done(common::Status::Error("audit writer is closed"));
  }
  queue_.clear();
}

void AuditWriter::SetFailed(const common::Status& status) {
  counters_->write_errors.Add();
  retry_at_ = SteadyClock::now() + std::chrono::milliseconds(options_.retry_interval_ms);
  if (failed_) return;
  failed_ = true;
  counters_->paused.Set(1);
  stats_.SetHealth("audit", common::HealthState::kDegraded,
                   (IsDiskFull(status) ? "disk full: " : "") + status.message() +
                       " (syslog input paused, retrying)");
  spdlog::error("audit: {}; syslog input paused, retrying every {} ms", status.message(),
                options_.retry_interval_ms);
}

void AuditWriter::CompletePending(const common::Status& status) {
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (!pending_[i].done) continue;
    const bool written = i < cursor_batch_;
    pending_[i].done(written ? common::Status::Ok() : status);
  }
  pending_.clear();
  cursor_batch_ = cursor_entry_ = 0;
}

common::Status AuditWriter::WritePending() {
  while (cursor_batch_ < pending_.size()) {
    if (auto status = WriteRun(); !status.ok()) return status;
  }
  return common::Status::Ok();
}

// Appends the longest run of pending lines that go to one hour's file.
common::Status AuditWriter::WriteRun() {
  buffer_.clear();
  size_t batch = cursor_batch_, entry = cursor_entry_;
  uint64_t lines = 0, late = 0;
  int64_t hour = -1;
  while (batch < pending_.size() && buffer_.size() < kMaxWrite) {
    const auto& entries = pending_[batch].entries;
    if (entry >= entries.size()) {
      ++batch, entry = 0;
      continue;
    }
    const int64_t received = HourOf(entries[entry].received_micros);
    const int64_t target = std::max(received, floor_hour_);
    if (hour >= 0 && target != hour) break;
    hour = target;
    late += received < target;
    buffer_ += entries[entry].line;
    buffer_ += '\n';
    ++entry, ++lines;
  }
  if (lines > 0) {
    if (!open_ || open_->info.hour != hour) {
      if (auto status = RollTo(hour); !status.ok()) return status;
    }
    if (auto status = open_->file.Append(buffer_, lines); !status.ok()) {
      return common::Status::Error(open_->info.name + ": " + status.message());
    }
    Publish();
    counters_->lines.Add(lines);
    counters_->bytes.Add(buffer_.size());
    counters_->late.Add(late);
  }
  cursor_batch_ = batch, cursor_entry_ = entry;
  return common::Status::Ok();
}

common::Status AuditWriter::RollIfHourPassed() {
  floor_hour_ = std::max(floor_hour_, HourOf(clock_.NowMicros()));
  if (open_ && open_->info.hour < floor_hour_) return CloseFile(true);
  return common::Status::Ok();
}

// Opens the file for `hour`: its last segment if not complete, else a new one.
common::Status AuditWriter::RollTo(int64_t hour) {
  if (open_) {
    if (auto status = CloseFile(true); !status.ok()) return status;
  }
  auto files = ListAuditFiles(options_.dir, options_.prefix);
  if (!files) return files.status();
  AuditFileInfo info{AuditFileName(options_.prefix, hour, 1), hour, 1, false};
  for (const AuditFileInfo& existing : *files) {
    if (existing.hour != hour) continue;
    info = existing;
    if (existing.complete) {
      info.segment = existing.segment + 1;
      info.name = AuditFileName(options_.prefix, hour, info.segment);
      info.complete = false;
    }
  }
  auto file = AppendFile::Open(options_.dir + "/" + info.name);
  if (!file) return file.status();
  if (file->size() == 0) {
    if (auto status = FsyncDir(options_.dir); !status.ok()) return status;
  }
  open_ = OpenFile{info, std::move(*file)};
  Publish();
  floor_hour_ = std::max(floor_hour_, hour);
  return common::Status::Ok();
}

common::Status AuditWriter::CloseFile(bool complete) {
  if (auto status = open_->file.Sync(); !status.ok()) {
    return common::Status::Error(open_->info.name + ": " + status.message());
  }
  counters_->fsyncs.Add();
  if (complete) {
    const auto& f = open_->file;
    auto status =
        WriteCompleteMarker(options_.dir, open_->info, f.size(), f.lines(), clock_.NowMicros());
    if (!status.ok()) return status;
    counters_->completed.Add();
    spdlog::info("audit: {} complete ({} lines, {} bytes)", open_->info.name, f.lines(), f.size());
  }
  open_.reset();
  Publish();
  return common::Status::Ok();
}

void AuditWriter::Publish() {
  std::lock_guard lock(published_mu_);
  published_name_ = open_ ? open_->info.name : std::string();
  published_size_ = open_ ? open_->file.size() : 0;
}

std::optional<uint64_t> AuditWriter::WrittenSize(std::string_view name) const {
  std::lock_guard lock(published_mu_);
  if (published_name_.empty() || published_name_ != name) return std::nullopt;
  return published_size_;
}

common::Status AuditWriter::SyncIfDue(bool force) {
  if (!open_ || !open_->file.dirty()) return common::Status::Ok();
  const bool due = force || options_.fsync == FsyncMode::kAlways ||
                   (options_.fsync == FsyncMode::kInterval &&
                    -MillisUntil(last_sync_) >= options_.fsync_interval_ms);
  if (!due) return common::Status::Ok();
  if (auto status = open_->file.Sync(); !status.ok()) {
    return common::Status::Error(open_->info.name + ": " + status.message());
  }
  counters_->fsyncs.Add();
  last_sync_ = SteadyClock::now();
  return common::Status::Ok();
}

}  // namespace hourglass::archive
