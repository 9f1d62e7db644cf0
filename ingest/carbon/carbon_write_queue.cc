#include "ingest/carbon/carbon_write_queue.h"

#include <cassert>
#include <utility>

namespace hourglass::ingest {

CarbonWriteQueue::CarbonWriteQueue(size_t max_batches, Writer writer)
    : max_batches_(max_batches), writer_(std::move(writer)), thread_([this] { Run(); }) {
  assert(max_batches_ >= 1);
}

CarbonWriteQueue::~CarbonWriteQueue() { Close(); }

void CarbonWriteQueue::Push(CarbonBatch& batch) {
  if (batch.empty()) return;
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return closed_ || queue_.size() < max_batches_; });
  if (closed_) {  // a broken contract; still, write it once the writer is done
    assert(false && "CarbonWriteQueue::Push after Close");
    not_full_.wait(lock, [&] { return done_; });
    lock.unlock();
    writer_(batch);
    batch.Clear();
    return;
  }
  queue_.push_back(std::move(batch));
  batch = CarbonBatch{};
  if (!spare_.empty()) {
    batch = std::move(spare_.back());
    spare_.pop_back();
  }
  lock.unlock();
  not_empty_.notify_one();
}

void CarbonWriteQueue::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    not_empty_.wait(lock, [&] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) {  // closed and drained
      done_ = true;
      not_full_.notify_all();
      return;
    }
    CarbonBatch batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    writer_(batch);
    batch.Clear();
    lock.lock();
    // As many spares as batches can be queued: a full pipeline refills
    // written buffers instead of allocating new ones.
    if (spare_.size() < max_batches_) spare_.push_back(std::move(batch));
  }
}

void CarbonWriteQueue::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_ && !thread_.joinable()) return;
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t CarbonWriteQueue::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace hourglass::ingest
