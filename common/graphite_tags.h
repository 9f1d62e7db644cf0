// Graphite's canonical tag order (carbon's TaggedSeries.format): the
// "name=value" strings sorted as strings, each written after a ';'. Shared by
// the statsd and carbon parsers and the name index, which each decide on their
// own which of a repeated tag wins. Pure; any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace hourglass::common {

// Sorts `tags` ("name=value" strings) as strings and appends ";tag" for each
// to `out`. `tags` may point into `out` if its capacity is already enough
// for what is appended.
void AppendGraphiteTags(std::span<std::string_view> tags, std::string& out);

}  // namespace hourglass::common
