// Uploader: the durable upload queue of sealed audit files and the thread
// that drains it (see the DESIGN note in uploader.cc). It owns the Sealer and
// an ObjectStore, both used on its thread only. Start/Shutdown belong to the
// control thread; Pass is for that thread or a test that never calls Start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "archive/object_store/object_store.h"
#include "archive/shipping/key_template.h"
#include "archive/shipping/sealed_manifest.h"
#include "archive/shipping/sealer.h"
#include "common/clock.h"
#include "common/stats.h"

namespace hourglass::archive {

struct UploaderOptions {
  KeyTemplate key_template;
  std::string prefix{};              // {prefix}
  std::string host{};                // {host}
  int64_t keep_local_s = 7 * 86400;  // delete local copies this long after the hour, once uploaded
  int64_t retry_base_ms = 1000;      // first retry delay, doubled per failure
  int64_t retry_max_ms = 300'000;    // cap of the retry delay
  int64_t scan_interval_ms = 1000;   // how often the thread looks for work
};

class Uploader {
 public:
  static std::unique_ptr<Uploader> Create(UploaderOptions options, std::unique_ptr<Sealer> sealer,
                                          std::unique_ptr<ObjectStore> store,
                                          const common::Clock& clock, common::StatsRegistry& stats);
  ~Uploader();  // Shutdown(false, 0)
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Starts the thread: a Pass every scan_interval_ms.
  void Start();

  // Stops the thread, then runs a final pass on the caller's thread: seals
  // (every complete file when seal_all, skipping the grace) and tries each
  // pending upload once, ignoring backoff, until `budget` is spent. What is
  // left stays queued on disk for the next start. Idempotent.
  void Shutdown(bool seal_all, std::chrono::milliseconds budget);

  // Seals what is due, uploads what is due, deletes expired local copies,
  // refreshes the self-metrics and /health. `final`: no backoff waits and
  // stop at `deadline`.
  void Pass(bool final = false, bool seal_all = false,
            std::chrono::steady_clock::time_point deadline =
                std::chrono::steady_clock::time_point::max());

  // Sealed files not uploaded yet (tests; thread-unsafe while running).
  size_t pending() const { return pending_; }

 private:
  struct Counters;
  struct Entry {
    SealedManifest manifest;
    UploadState state;
  };
  struct Retry {
    uint64_t failures = 0;
    int64_t next_try_micros = 0;
  };

  Uploader(UploaderOptions options, std::unique_ptr<Sealer> sealer,
           std::unique_ptr<ObjectStore> store, const common::Clock& clock,
           common::StatsRegistry& stats);
  void Run();
  void Seal(bool force);
  std::vector<Entry> LoadQueue();
  bool Upload(Entry& entry);
  void AbortLeftovers(const std::string& key);
  bool Finish(Entry& entry, PutOutcome outcome);
  bool Fail(Entry& entry, const StoreError& error);
  common::Status SaveState(const Entry& entry);
  void CleanUp(const Entry& entry);
  void Report(const std::vector<Entry>& queue);
  int64_t BackoffMicros(uint64_t failures);
  std::string Path(const std::string& name) const;

  const UploaderOptions options_;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<ObjectStore> store_;
  const common::Clock& clock_;
  common::StatsRegistry& stats_;
  std::unique_ptr<Counters> counters_;

  // Pass() only (the thread, or the control thread after the join).
  std::map<std::string, Retry> retries_;  // by sealed file name
  int64_t store_next_try_micros_ = 0;     // the store itself is failing: wait
  std::string last_error_;                // for /health; never holds secrets
  std::string last_logged_error_;
  size_t pending_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  bool shut_down_ = false;  // control thread only
  std::thread thread_;
};

}  // namespace hourglass::archive
