// Render output formats as graphite-web 1.1's render/views.py writes them:
// json (`[{"target","tags","datapoints":[[v|null,ts],...]}]`, optional
// jsonp), csv (`name,YYYY-MM-DD HH:MM:SS,value`, UTC) and raw
// (`name,start,end,step|v1,v2,...`). RenderWriter writes an answer in parts
// so a large one is streamed, never held whole; the Format* functions write
// it at once. Pure functions and per-request objects; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_escape.h"
#include "query/series.h"

namespace hourglass::query {

// Python's repr() of a float: "1.0", "0.1", "1e+16", "nan", "inf".
std::string PyFloatRepr(double value);

// Appends `text` as a JSON string literal (quotes included); the shared,
// UTF-8-safe escaper of common/json_escape.h.
using common::AppendJsonString;

enum class RenderFormat { kJson, kCsv, kRaw };

// Writes the answer for already-consolidated series (see ApplyMaxDataPoints)
// part by part. JSON: NaN is null and infinities are +-1e9999 (graphite-web's
// spelling, which JSON.parse reads as +-Infinity); with no_null_points the
// nulls are dropped and a series left without points is omitted; a jsonp
// name wraps the array in `NAME(...)`. `list` must outlive the writer and not
// change, except that series already written (index < series_done()) may be
// released.
class RenderWriter {
 public:
  RenderWriter(const SeriesList& list, RenderFormat format, bool no_null_points = false,
               std::string_view jsonp = {});

  // Appends the next part of the body to `out`, stopping at a point boundary
  // once `out` holds `limit` bytes or more. Returns false once the whole body
  // has been appended (later calls append nothing).
  bool Next(std::string& out, size_t limit);

  // Series completely written (or skipped) so far.
  size_t series_done() const { return series_; }

 private:
  enum class State { kOpen, kSeriesStart, kPoints, kDone };
  bool BeginSeries(std::string& out);
  bool WritePoints(std::string& out, size_t limit);
  bool WriteJsonPoints(std::string& out, size_t limit);
  bool WriteCsvPoints(std::string& out, size_t limit);
  bool WriteRawPoints(std::string& out, size_t limit);

  const SeriesList& list_;
  RenderFormat format_;
  bool no_null_points_;
  std::string jsonp_;
  State state_ = State::kOpen;
  size_t series_ = 0;                 // the series being written
  bool first_series_ = true;          // no series written yet (JSON separators)
  std::vector<double> consolidated_;  // the current series' values when values_per_point > 1
  std::span<const double> values_;    // the current series' values as written
  size_t point_ = 0;                  // next value of the current series
  int64_t ts_ = 0;                    // its timestamp
  int64_t stride_ = 0;
  bool first_point_ = true;  // no point of the current series written yet
};

// A RenderWriter that owns its series and frees each one once written: the
// body of one streamed /render answer. Not copyable or movable (hold it by
// pointer).
class RenderStream {
 public:
  RenderStream(SeriesList list, RenderFormat format, bool no_null_points, std::string_view jsonp);
  RenderStream(const RenderStream&) = delete;
  RenderStream& operator=(const RenderStream&) = delete;

  bool Next(std::string& out, size_t limit);

 private:
  SeriesList list_;
  RenderWriter writer_;
  size_t freed_ = 0;
};

// The whole answer at once.
std::string FormatJson(const SeriesList& list, bool no_null_points);
std::string FormatCsv(const SeriesList& list);
std::string FormatRaw(const SeriesList& list);

}  // namespace hourglass::query
