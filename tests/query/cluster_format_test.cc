#include "query/cluster_format.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "query/api_router.h"
#include "query/series.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// Decodes `data` with Debian's /usr/bin/python3 (python3-msgpack for msgpack, pickle
// otherwise) and returns its repr(), or "" when python3 is not there.
std::string PythonRepr(const std::string& data, ClusterFormat format) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("hg_cluster_" + std::to_string(std::random_device{}()));
  std::ofstream(path, std::ios::binary) << data;
  const std::string load = format == ClusterFormat::kMsgpack
                               ? "import msgpack; v = msgpack.unpackb(d, raw=False)"
                               : "import pickle; v = pickle.loads(d)";
  const std::string cmd =
      "/usr/bin/python3 -c 'import sys; d = open(sys.argv[1], \"rb\").read(); " + load +
      "; print(repr(v))' " + path.string() + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
    pclose(p);
  }
  std::filesystem::remove(path);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

SeriesList TwoSeries() {
  Series a = MakeSeries("a.b", 100, 130, 10, {1.5, NAN, -2});
  a.path_expression = "a.*";
  Series long_name = MakeSeries(std::string(40, 'x'), -5, 1LL << 40, 1, {});
  long_name.x_files_factor = 0.5;
  return {a, long_name};
}

std::vector<ClusterNode> Nodes() { return {{"a", false}, {"a.b", true, 1420000000, 1420110000}}; }

}  // namespace

TEST_CASE("cluster msgpack: exact bytes of small values") {
  CHECK(EncodeClusterNodes({}, ClusterFormat::kMsgpack) == Bytes({0x90}));
  CHECK(EncodeClusterNodes({{"a", false}}, ClusterFormat::kMsgpack) ==
        Bytes({0x91, 0x82, 0xa4, 'p', 'a', 't', 'h', 0xa1, 'a', 0xa7, 'i', 's', '_', 'l', 'e', 'a',
               'f', 0xc2}));
  CHECK(ClusterContentType(ClusterFormat::kMsgpack) == std::string("application/x-msgpack"));
  CHECK(ParseClusterFormat("pickle") == ClusterFormat::kPickle);
  CHECK(!ParseClusterFormat("json"));
}

TEST_CASE("cluster pickle: exact bytes of small values") {
  // PROTO 2, EMPTY_LIST, MARK, APPENDS, STOP
  CHECK(EncodeClusterNodes({}, ClusterFormat::kPickle) == Bytes({0x80, 2, ']', '(', 'e', '.'}));
}

TEST_CASE("cluster nodes: a series with children is a branch and a leaf, a path is listed once") {
  const std::vector<store::Node> found{
      {"a", false, true}, {"a.b", true, true}, {"a.b", true, true}, {"a.c", true, false}};
  const std::vector<ClusterNode> nodes = ClusterNodesOf(found, 10, 20);
  REQUIRE(nodes.size() == 4);
  CHECK((nodes[0].path == "a" && !nodes[0].is_leaf));
  CHECK((nodes[1].path == "a.b" && !nodes[1].is_leaf));
  CHECK((nodes[2].path == "a.b" && nodes[2].is_leaf && nodes[2].interval_start == 10 &&
         nodes[2].interval_end == 20));
  CHECK((nodes[3].path == "a.c" && nodes[3].is_leaf));
}

TEST_CASE("cluster answers decode in Python as graphite-web writes them") {
  if (PythonRepr(EncodeClusterNodes({}, ClusterFormat::kPickle), ClusterFormat::kPickle) != "[]") {
    WARN("python3 not available: decoding not checked");
    return;
  }
  const std::string nodes =
      "[{'path': 'a', 'is_leaf': False}, "
      "{'path': 'a.b', 'is_leaf': True, 'intervals': [(1420000000, 1420110000)]}]";
  CHECK(PythonRepr(EncodeClusterNodes(Nodes(), ClusterFormat::kPickle), ClusterFormat::kPickle) ==
        nodes);
  // msgpack has no tuple: a pair is a list.
  CHECK(PythonRepr(EncodeClusterNodes(Nodes(), ClusterFormat::kMsgpack), ClusterFormat::kMsgpack) ==
        "[{'path': 'a', 'is_leaf': False}, "
        "{'path': 'a.b', 'is_leaf': True, 'intervals': [[1420000000, 1420110000]]}]");
  const std::string series =
      "[{'name': 'a.b', 'start': 100, 'end': 130, 'step': 10, 'values': [1.5, None, -2.0], "
      "'pathExpression': 'a.*', 'valuesPerPoint': 1, 'consolidationFunc': 'average', "
      "'xFilesFactor': 0.0}, "
      "{'name': '" +
      std::string(40, 'x') +
      "', 'start': -5, 'end': 1099511627776, 'step': 1, 'values': [], "
      "'pathExpression': '" +
      std::string(40, 'x') +
      "', 'valuesPerPoint': 1, 'consolidationFunc': 'average', 'xFilesFactor': 0.5}]";
  for (ClusterFormat f : {ClusterFormat::kPickle, ClusterFormat::kMsgpack}) {
    CHECK(PythonRepr(EncodeClusterSeries(TwoSeries(), f), f) == series);
  }
  // Long strings, lists and maps past the fix sizes; UTF-8 names.
  SeriesList many;
  for (int i = 0; i < 70000; i += 7000) {
    many.push_back(MakeSeries("é." + std::string(300, 'n') + std::to_string(i), 0, i, 1,
                              std::vector<double>(i, 1.0)));
  }
  for (ClusterFormat f : {ClusterFormat::kPickle, ClusterFormat::kMsgpack}) {
    std::string repr = PythonRepr(EncodeClusterSeries(many, f), f);
    CHECK(repr.starts_with("[{'name': 'é.nnn"));
    CHECK(repr.find("'end': 63000") != std::string::npos);
  }
}

TEST_CASE("cluster routes: find and render answer pickle and msgpack, render bounds apply") {
  testing::TestStore ts;
  ts.AddSeries("a.b", 1);
  ts.AddSeries("a.b.c", 10);
  common::StatsRegistry stats;
  RenderLimits limits;
  limits.max_points_written = 12;
  ApiRouter router(ts.store(), stats, ts.clock(), "test", {}, limits);
  auto get = [&](std::string target) {
    ApiResponse r = router.Handle({"GET", target, "", ""});
    ReadWholeBody(r);
    return r;
  };
  ApiResponse find = get("/metrics/find/?local=1&format=pickle&query=a.*");
  REQUIRE(find.status == 200);
  CHECK(find.content_type == "application/pickle");
  // a.b is a series with children: a branch node and a leaf node, as whisper's finder.
  CHECK(PythonRepr(find.body, ClusterFormat::kPickle) ==
        "[{'path': 'a.b', 'is_leaf': False}, {'path': 'a.b', 'is_leaf': True, "
        "'intervals': [(1419505200, 1420110000)]}]");
  const std::string range =
      "&from=" + std::to_string(testing::kNow - 60) + "&until=" + std::to_string(testing::kNow);
  ApiResponse render = get("/render/?local=1&format=msgpack&noCache=1&target=a.b&target=a.b.c" +
                           range + "&now=" + std::to_string(testing::kNow));
  REQUIRE(render.status == 200);
  CHECK(render.content_type == "application/x-msgpack");
  const std::string repr = PythonRepr(render.body, ClusterFormat::kMsgpack);
  CHECK(repr.find("'name': 'a.b.c'") != std::string::npos);
  CHECK(repr.find("[11.0, 12.0, 13.0, 14.0, 15.0, None]") != std::string::npos);
  // seriesByTag's pathExpression is the target as sent (spaces kept).
  ts.AddSeries("t;k=v", 1);
  const std::string by_tag =
      get("/render/?format=pickle&target=seriesByTag('name=t',%20'k=v')" + range).body;
  CHECK(PythonRepr(by_tag, ClusterFormat::kPickle)
            .find("'pathExpression': \"seriesByTag('name=t', 'k=v')\"") != std::string::npos);
  // 12 points written pass, 13 are refused (http.max_points_written).
  CHECK(get("/render/?format=pickle&target=a.b&target=a.b.c" + range).status == 200);
  CHECK(get("/render/?format=pickle&target=a.b&target=a.b.c&target=a.b" + range).status == 400);
  CHECK(get("/render/?pickle=1&target=a.b" + range).content_type == "application/pickle");
}

}  // namespace hourglass::query

namespace hourglass::query {

// graphite-web's tree_json lists each name once: "a.*.cpu" over a.x.cpu and
// a.y.cpu is one "cpu" node (the issue's duplicates). The completer format
// keeps every path.
TEST_CASE("find treejson lists a repeated name once, completer keeps every path") {
  testing::TestStore ts;
  ts.AddSeries("a.x.cpu", 1);
  ts.AddSeries("a.y.cpu", 1);
  ts.AddSeries("a.y.mem", 1);
  common::StatsRegistry stats;
  ApiRouter router(ts.store(), stats, ts.clock(), "test");
  auto body = [&](std::string target) { return router.Handle({"GET", target, "", ""}).body; };
  CHECK(body("/metrics/find?query=a.*.cpu") ==
        R"([{"text":"cpu","id":"a.*.cpu","allowChildren":0,"expandable":0,"leaf":1}])");
  CHECK(body("/metrics/find?query=a.{x,y,y}.{cpu,mem,cpu}") ==
        R"([{"text":"cpu","id":"a.{x,y,y}.cpu","allowChildren":0,"expandable":0,"leaf":1},)"
        R"({"text":"mem","id":"a.{x,y,y}.mem","allowChildren":0,"expandable":0,"leaf":1}])");
  CHECK(body("/metrics/find?query=a.*.cpu&format=completer") ==
        R"({"metrics":[{"path":"a.x.cpu","name":"cpu","is_leaf":"1"},)"
        R"({"path":"a.y.cpu","name":"cpu","is_leaf":"1"}]})");
}

}  // namespace hourglass::query
