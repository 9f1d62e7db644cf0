// Fuzz target: one render target evaluated as /render does, over a tiny
// SeriesStore (a temp directory created once per process, a few plain and
// tagged series written around a fixed now) with a one-hour range.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/tags_routes.h"
#include "store/series_store.h"

namespace {

using namespace hourglass;

constexpr int64_t kNow = 1420110000;  // 2015-01-01 11:00:00 UTC

// Everything one process evaluates against; the directory goes at exit.
class RenderWorld {
 public:
  RenderWorld() : clock_(kNow * 1'000'000), evaluator_(registry_) {
    dir_ =
        std::filesystem::temp_directory_path() / ("hg_render_fuzz_" + std::to_string(::getpid()));
    store::StoreOptions options;
    options.path = dir_.string();
    options.retentions = *store::ParseRetentions("10s:6h,1m:7d");
    auto opened = store::SeriesStore::Open(options, clock_, stats_);
    if (!opened.ok()) {
      std::fprintf(stderr, "render fuzz: %s\n", opened.status().message().c_str());
      std::abort();
    }
    store_ = std::move(*opened);
    tags_ = std::make_unique<query::StoreTagIndex>(*store_);
    query::RegisterBuiltinFunctions(registry_);
    // The names the golden and evaluator tests use, so that corpus targets find data.
    const char* names[] = {"servers.web1.cpu.user",
                           "servers.web1.cpu.system",
                           "servers.web2.cpu.user",
                           "servers.web2.cpu.system",
                           "a.b.c",
                           "a.b.d",
                           "cpu;dc=eu;host=a",
                           "cpu;dc=us;host=b"};
    double base = 0;
    for (const char* name : names) Add(name, base += 100);
  }
  ~RenderWorld() {
    tags_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Evaluate(std::string_view target) {
    query::EvalContext ctx{store_.get(), kNow - 3600, kNow, kNow};
    ctx.tags = tags_.get();
    ctx.max_series = 100;
    (void)evaluator_.EvaluateTarget(target, ctx);
  }

 private:
  // `name` gets 30 points at 10 s steps up to now, one of them missing.
  void Add(const std::string& name, double base) {
    std::vector<store::Point> points;
    for (int i = 0; i < 30; ++i) {
      if (i != 17) points.push_back({name, kNow - 300 + 10 * i, base + i % 7});
    }
    std::vector<std::string> names{name};
    if (!store_->Write(points).ok() || !store_->RegisterNames(names).ok()) std::abort();
  }

  std::filesystem::path dir_;
  common::ManualClock clock_;
  common::StatsRegistry stats_;
  std::unique_ptr<store::SeriesStore> store_;
  std::unique_ptr<query::StoreTagIndex> tags_;
  query::FunctionRegistry registry_;
  query::Evaluator evaluator_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RenderWorld world;
  world.Evaluate(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
