// Render budget: bounds the work of one /render request by the points it
// reads (store reads, counted before they are made from each series' range
// and step, plus the buckets summarize/hitcount make; all held in memory as
// Series values, 8 bytes a point) and the points its answer writes. Pure
// functions over one request's EvalContext; any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "query/function_registry.h"
#include "query/series.h"

namespace hourglass::query {

inline constexpr std::string_view kMaxPointsReadKey = "http.max_points_read";
inline constexpr std::string_view kMaxPointsWrittenKey = "http.max_points_written";

struct RenderLimits {
  size_t max_points_read = 10'000'000;     // http.max_points_read
  size_t max_points_written = 10'000'000;  // http.max_points_written
  // An answer longer than this is streamed in parts of about this size.
  size_t chunk_bytes = 64 * 1024;
};

// Adds `points` to ctx.points_read; past ctx.max_points_read it adds nothing,
// sets ctx.over_budget and returns a 400-worthy message naming the key.
common::Status ChargePoints(EvalContext& ctx, size_t points);

// Charges the values ctx.store->Read would return for each name over the
// context's range, before any of them is read.
common::Status ChargeReads(EvalContext& ctx, std::span<const std::string> names);

// Datapoints the answer holds after maxDataPoints (nulls included).
size_t PointsWritten(const SeriesList& list);

// The 400 message for an answer of `points` datapoints, more than `max`.
std::string WrittenRefusal(size_t points, size_t max);

}  // namespace hourglass::query
