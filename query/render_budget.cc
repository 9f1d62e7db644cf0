#include "query/render_budget.h"

#include <fmt/format.h>

#include "store/series_store.h"

namespace hourglass::query {

common::Status ChargePoints(EvalContext& ctx, size_t points) {
  const size_t left = ctx.max_points_read - std::min(ctx.max_points_read, ctx.points_read);
  if (points <= left) {
    ctx.points_read += points;
    return common::Status::Ok();
  }
  ctx.over_budget = true;
  return common::Status::Error(
      fmt::format("render budget: the request reads at least {} points, more than {} = {} allows; "
                  "narrow the time range or match fewer series",
                  ctx.points_read + points, kMaxPointsReadKey, ctx.max_points_read));
}

common::Status ChargeReads(EvalContext& ctx, std::span<const std::string> names) {
  if (ctx.store == nullptr) return common::Status::Ok();
  size_t points = 0;
  for (const std::string& name : names) {
    points += ctx.store->ReadLength(name, ctx.from, ctx.until, ctx.now);
  }
  return ChargePoints(ctx, points);
}

size_t PointsWritten(const SeriesList& list) {
  size_t points = 0;
  for (const Series& s : list) {
    const size_t n = s.values.size();
    const auto vpp = static_cast<size_t>(std::max<int64_t>(1, s.values_per_point));
    points += n / vpp + (n % vpp != 0);
  }
  return points;
}

std::string WrittenRefusal(size_t points, size_t max) {
  return fmt::format(
      "render budget: the answer holds {} datapoints, more than {} = {} allows; "
      "set maxDataPoints or narrow the time range",
      points, kMaxPointsWrittenKey, max);
}

}  // namespace hourglass::query
