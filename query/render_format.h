// Render output formats as graphite-web 1.1's render/views.py writes them:
// json (`[{"target","tags","datapoints":[[v|null,ts],...]}]`, optional
// jsonp), csv (`name,YYYY-MM-DD HH:MM:SS,value`, UTC) and raw
// (`name,start,end,step|v1,v2,...`). Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "query/series.h"

namespace hourglass::query {

// Python's repr() of a float: "1.0", "0.1", "1e+16", "nan", "inf".
std::string PyFloatRepr(double value);

// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view text);

// JSON of already-consolidated series (see ApplyMaxDataPoints). NaN and
// infinities are null; with no_null_points those points are dropped and a
// series left without points is omitted.
std::string FormatJson(const SeriesList& list, bool no_null_points);
std::string FormatCsv(const SeriesList& list);
std::string FormatRaw(const SeriesList& list);

}  // namespace hourglass::query
