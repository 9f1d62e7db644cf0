// Answers for graphite-web's cluster protocol: what its RemoteFinder and
// RemoteReader (finders/remote.py, readers/remote.py) read from a
// CLUSTER_SERVERS node asked with local=1 and format=msgpack or format=pickle.
// Write-only encoders (msgpack, pickle protocol 2), no parsers: input is never
// unpickled. Pure functions over values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/series.h"
#include "store/series_store.h"

namespace hourglass::query {

enum class ClusterFormat { kMsgpack, kPickle };

// One /metrics/find match as graphite-web's pickle_nodes/msgpack_nodes write
// it: {path, is_leaf} and, for a leaf, intervals [(start, end)].
struct ClusterNode {
  std::string path;
  bool is_leaf = false;
  int64_t interval_start = 0;  // leaves only: the span the node may hold data for
  int64_t interval_end = 0;
};

// graphite-web's nodes for the store's matches (sorted by path): a path that
// is a series and has children is two nodes there, a branch and a leaf, as
// its whisper finder yields them; leaves hold data over [start, end].
std::vector<ClusterNode> ClusterNodesOf(const std::vector<store::Node>& found,
                                        int64_t interval_start, int64_t interval_end);

// The find answer: a list of node dicts.
std::string EncodeClusterNodes(const std::vector<ClusterNode>& nodes, ClusterFormat format);

// The render answer: a list of TimeSeries.getInfo() dicts (name, start, end,
// step, values with None for NaN, pathExpression, valuesPerPoint,
// consolidationFunc, xFilesFactor).
std::string EncodeClusterSeries(const SeriesList& list, ClusterFormat format);

// "msgpack" or "pickle"; nothing for any other format name.
std::optional<ClusterFormat> ParseClusterFormat(std::string_view name);

// "application/x-msgpack" or "application/pickle", as graphite-web sends
// (RemoteFinder picks its decoder by this content type).
const char* ClusterContentType(ClusterFormat format);

}  // namespace hourglass::query
