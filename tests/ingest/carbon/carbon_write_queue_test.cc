#include "ingest/carbon/carbon_write_queue.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace hourglass::ingest {
namespace {

using namespace std::literals;

// A writer that records each batch's first name and can be held: while
// held, the batch it took stays in progress (not counted as queued).
struct HeldWriter {
  std::mutex mu;
  std::condition_variable cv;
  bool held = false;
  size_t entered = 0;  // batches the writer has taken
  std::vector<std::string> written;

  void Write(CarbonBatch& batch) {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return !held; });
    for (size_t i = 0; i < batch.size; ++i) written.push_back(batch.points[i].name);
  }
  void Hold() {
    std::lock_guard lock(mu);
    held = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu);
      held = false;
    }
    cv.notify_all();
  }
  void WaitEntered(size_t n) {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return entered >= n; }));
  }
};

void Fill(CarbonBatch& batch, const std::string& name) {
  store::Point& p = batch.Append();
  p.name = name;
  p.timestamp = 1600000000;
  p.value = 1;
}

TEST_CASE("carbon write queue: batches are written in order, buffers come back empty") {
  HeldWriter w;
  CarbonWriteQueue queue(2, [&](CarbonBatch& b) { w.Write(b); });
  CarbonBatch batch;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    Fill(batch, "a" + std::to_string(i));
    Fill(batch, "b" + std::to_string(i));
    expected.push_back("a" + std::to_string(i));
    expected.push_back("b" + std::to_string(i));
    queue.Push(batch);
    CHECK(batch.empty());
  }
  queue.Close();
  CHECK(w.written == expected);
}

TEST_CASE("carbon write queue: N batches queue at once, the N+1st waits for the writer") {
  constexpr size_t kMax = 3;
  HeldWriter w;
  w.Hold();
  CarbonWriteQueue queue(kMax, [&](CarbonBatch& b) { w.Write(b); });
  CarbonBatch batch;
  Fill(batch, "in.progress");
  queue.Push(batch);
  w.WaitEntered(1);  // taken by the writer: not queued any more
  for (size_t i = 0; i < kMax; ++i) {
    Fill(batch, "queued" + std::to_string(i));
    queue.Push(batch);  // returns at once: room for kMax
  }
  CHECK(queue.queued() == kMax);
  auto blocked = std::async(std::launch::async, [&] {
    CarbonBatch extra;
    Fill(extra, "waited");
    queue.Push(extra);
  });
  CHECK(blocked.wait_for(300ms) == std::future_status::timeout);  // full: it waits
  CHECK(queue.queued() == kMax);
  w.Release();
  REQUIRE(blocked.wait_for(10s) == std::future_status::ready);
  queue.Close();
  CHECK(w.written ==
        std::vector<std::string>{"in.progress", "queued0", "queued1", "queued2", "waited"});
}

TEST_CASE("carbon write queue: Close writes every queued batch before it returns") {
  HeldWriter w;
  w.Hold();
  CarbonWriteQueue queue(8, [&](CarbonBatch& b) { w.Write(b); });
  CarbonBatch batch;
  for (int i = 0; i < 5; ++i) {
    Fill(batch, std::to_string(i));
    queue.Push(batch);
  }
  auto closed = std::async(std::launch::async, [&] { queue.Close(); });
  CHECK(closed.wait_for(100ms) == std::future_status::timeout);  // still writing
  w.Release();
  REQUIRE(closed.wait_for(10s) == std::future_status::ready);
  CHECK(w.written == std::vector<std::string>{"0", "1", "2", "3", "4"});
  queue.Close();  // idempotent
}

TEST_CASE("carbon write queue: an empty batch is not queued") {
  size_t calls = 0;
  CarbonWriteQueue queue(1, [&](CarbonBatch&) { ++calls; });
  CarbonBatch batch;
  queue.Push(batch);
  queue.Close();
  CHECK(calls == 0);
}

}  // namespace
}  // namespace hourglass::ingest
