// CarbonWriteQueue: the bounded hand-off between the carbon io thread, which
// reads and parses, and one writer thread it owns, which writes each batch
// (names, store, forwarders), so that parsing one read overlaps writing the
// one before. Push may be called from any thread (the carbon io thread);
// it waits while `max_batches` batches are queued (back-pressure: the io
// thread stops reading, as it did while a write ran). Close drains and joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/series_point.h"

namespace hourglass::ingest {

// One read's points. `points` is reused from batch to batch: only the first
// `size` entries are the batch's, the rest keep their name buffers.
struct CarbonBatch {
  std::vector<store::Point> points;
  size_t size = 0;
  std::vector<std::string> new_names;  // names not passed on before
  std::vector<uint64_t> new_hashes;    // their hashes
  std::string peer;                    // for the error log

  // The next point to fill (reusing a previous batch's entry if any).
  store::Point& Append() {
    if (size == points.size()) points.emplace_back();
    return points[size++];
  }
  bool empty() const { return size == 0; }
  void Clear() {
    size = 0;
    new_names.clear();
    new_hashes.clear();
  }
};

class CarbonWriteQueue {
 public:
  // Called on the writer thread with each batch, in Push order.
  using Writer = std::function<void(CarbonBatch& batch)>;

  // Starts the writer thread. `max_batches` >= 1: batches pushed and not yet
  // taken by the writer (the one it is writing is not counted).
  CarbonWriteQueue(size_t max_batches, Writer writer);
  ~CarbonWriteQueue();  // Close()
  CarbonWriteQueue(const CarbonWriteQueue&) = delete;
  CarbonWriteQueue& operator=(const CarbonWriteQueue&) = delete;

  // Queues `batch` (unless empty), waiting while the queue is full, and
  // leaves in `batch` an empty one to fill next (a written batch's buffers
  // when there is one). Not after Close (then it asserts; without asserts
  // the batch is written on the caller's thread, so nothing is lost).
  void Push(CarbonBatch& batch);

  // Writes every queued batch, then stops and joins the writer. Call it
  // once nothing pushes any more (the io thread has stopped). Idempotent.
  void Close();

  size_t queued() const;  // for tests

 private:
  void Run();

  const size_t max_batches_;
  const Writer writer_;
  mutable std::mutex mu_;  // guards the members below
  std::condition_variable not_full_, not_empty_;
  std::deque<CarbonBatch> queue_;
  std::vector<CarbonBatch> spare_;  // written batches, to be refilled
  bool closed_ = false;
  bool done_ = false;   // the writer thread has drained the queue and ended
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace hourglass::ingest
