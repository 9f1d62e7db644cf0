// events(*tags): graphite-web's render function over the stored events
// (store/event_store.h): one series, one value a second over the request,
// the number of events carrying every tag in each second (None where there
// are none); events("*") counts all events.
#include <cmath>

#include "query/function_registry.h"
#include "query/render_budget.h"
#include "store/event_store.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

Result<SeriesList> Events(EvalContext& ctx, std::vector<Value>& args) {
  std::vector<std::string> tags;
  for (const Value& v : args[0].items) tags.push_back(v.string_value);
  std::string name = "events(\"";
  for (size_t i = 0; i < tags.size(); ++i) name += (i > 0 ? "\", \"" : "") + tags[i];
  name += "\")";
  const bool all = tags.size() == 1 && tags[0] == "*";
  const int64_t start = ctx.from;  // step 1: no alignment
  const int64_t end = ctx.until;
  const size_t points = end > start ? static_cast<size_t>(end - start) : 0;
  if (Status s = ChargePoints(ctx, points); !s.ok()) return s;
  std::vector<double> values(points, std::nan(""));
  auto count = [&](store::Event&& e) {
    if (!all && !store::EventTagsMatch(store::ParseEventTags(e.tags), tags, false)) return true;
    // An event at `end` has no slot (graphite-web fails on it): not counted.
    const int64_t seconds = e.when_us / 1'000'000;
    if (seconds >= end) return false;
    double& v = values[static_cast<size_t>(seconds - start)];
    v = std::isnan(v) ? 1 : v + 1;
    return true;
  };
  if (ctx.store != nullptr && points > 0) {
    Status s = store::EventStore::Scan(*ctx.store, start * 1'000'000, end * 1'000'000, count);
    if (!s.ok()) return s;
  }
  Series series = MakeSeries(name, start, end, 1, std::move(values));
  series.path_expression = name;
  series.consolidation = ConsolidationFunc::kSum;
  series.consolidation_name = "sum";
  series.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(series)};
}

}  // namespace

void RegisterEventFunctions(FunctionRegistry& r) {
  r.Add({"events",
         {{"tags", ParamType::kString, true, {}, {}, true}},
         &Events,
         "Special",
         "Returns the number of events at this point in time. Usable with drawAsInfinite."});
}

}  // namespace hourglass::query
