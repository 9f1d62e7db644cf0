#include "query/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "common/listen_address.h"
#include "query/api_router.h"
#include "test_store.h"

namespace hourglass::query {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using testing::kNow;

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  bool chunked = false;
  std::string total;      // X-Hourglass-Total (/metrics/find&limit=N)
  std::string truncated;  // X-Hourglass-Truncated
};

class Client {
 public:
  explicit Client(const std::string& address) : socket_(ioc_) {
    auto parsed = common::ParseListenAddress(address);
    REQUIRE(parsed.ok());
    socket_.connect({net::ip::make_address(parsed->host), parsed->port});
  }
  Reply Send(http::verb verb, const std::string& target, const std::string& body = {},
             const std::string& content_type = "application/x-www-form-urlencoded",
             unsigned version = 11) {
    http::request<http::string_body> req{verb, target, version};
    req.set(http::field::host, "localhost");
    if (verb == http::verb::post) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
      req.prepare_payload();
    }
    http::write(socket_, req);
    return Read(verb == http::verb::head);
  }
  Reply Read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // the answer to HEAD has headers only
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    if (ec) return {};
    const auto& res = parser.get();
    return {res.result_int(),
            std::string(res[http::field::content_type]),
            res.body(),
            res.chunked(),
            std::string(res["X-Hourglass-Total"]),
            std::string(res["X-Hourglass-Truncated"])};
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

struct ServerFixture {
  ServerFixture() {
    db.AddSeries("a.b.c", 0);
    db.AddSeries("a.b.d", 100);
    HttpOptions options;
    options.listen = "127.0.0.1:0";
    options.max_body_bytes = 4096;
    options.max_connections = 4;
    auto started = HttpServer::Start(options, db.store(), db.stats(), db.clock());
    INFO(started.status().message());
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  Reply Get(const std::string& target) {
    return Client(server->bound_address()).Send(http::verb::get, target);
  }

  testing::TestStore db;
  std::unique_ptr<HttpServer> server;
};

TEST_CASE_METHOD(ServerFixture, "binds port 0 and reports the real address") {
  CHECK(server->bound_address().starts_with("127.0.0.1:"));
  CHECK(server->bound_address() != "127.0.0.1:0");
  HttpOptions same;
  same.listen = server->bound_address();
  auto second = HttpServer::Start(same, db.store(), db.stats(), db.clock());
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message() ==
        "cannot listen on " + server->bound_address() + ": Address already in use");
}

TEST_CASE_METHOD(ServerFixture, "find, GET and Grafana's unencoded POST") {
  Reply r = Get("/metrics/find?query=a.b.*");
  CHECK(r.status == 200);
  CHECK(r.body == R"([{"text":"c","id":"a.b.c","allowChildren":0,"expandable":0,"leaf":1},)"
                  R"({"text":"d","id":"a.b.d","allowChildren":0,"expandable":0,"leaf":1}])");
  Client client(server->bound_address());
  Reply post = client.Send(http::verb::post, "/metrics/find", "query=a.*");
  CHECK(post.status == 200);
  CHECK(post.body == R"([{"text":"b","id":"a.b","allowChildren":1,"expandable":1,"leaf":0}])");
  // Same connection again: keep-alive.
  Reply completer = client.Send(http::verb::get, "/metrics/find?query=a.b.&format=completer");
  CHECK(
      completer.body ==
      R"({"metrics":[{"path":"a.b.c","name":"c","is_leaf":"1"},{"path":"a.b.d","name":"d","is_leaf":"1"}]})");
  CHECK(Get("/metrics/find").status == 400);
  CHECK(Get("/metrics/expand?query=a.b.*&query=a.*").body ==
        R"({"results":["a.b","a.b.c","a.b.d"]})");
  CHECK(Get("/metrics/expand?query=a.*&leavesOnly=1&groupByExpr=1").body ==
        R"({"results":{"a.*":[]}})");
}

TEST_CASE_METHOD(ServerFixture, "find's limit: N children answered whole, N+1 cut and said so") {
  Reply two = Get("/metrics/find?query=a.b.*&limit=2");  // a.b has 2 children
  CHECK(two.body == Get("/metrics/find?query=a.b.*").body);
  CHECK(two.total == "2");
  CHECK(two.truncated.empty());
  Reply one = Get("/metrics/find?query=a.b.*&limit=1");
  CHECK(one.body == R"([{"text":"c","id":"a.b.c","allowChildren":0,"expandable":0,"leaf":1}])");
  CHECK(one.total == "2");
  CHECK(one.truncated == "1");
  CHECK(Get("/metrics/find?query=a.b.&format=completer&limit=1").truncated == "1");
  CHECK(Get("/metrics/find?query=a.b.*").total.empty());  // graphite-web's answer, unchanged
  CHECK(Get("/metrics/find?query=a.b.*&limit=-1").status == 400);
  CHECK(Get("/metrics/find?query=a.b.*&limit=x").status == 400);
}

TEST_CASE_METHOD(ServerFixture, "render json, csv, raw, maxDataPoints and errors") {
  Reply r = Get("/render?target=a.b.c&from=-60s&until=now&format=json");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body ==
        "[{\"target\":\"a.b.c\",\"tags\":{\"name\":\"a.b.c\"},\"datapoints\":[[1,1420109950],"
        "[2,1420109960],[3,1420109970],[4,1420109980],[5,1420109990],[null,1420110000]]}]");
  Reply grafana = Client(server->bound_address())
                      .Send(http::verb::post, "/render",
                            "target=aliasSub(a.b.c%2C%20%22(%5E.*%24)%22%2C%20%22%5C1%20A%22)"
                            "&from=-60s&until=now&format=json&maxDataPoints=3");
  CHECK(grafana.status == 200);
  CHECK(
      grafana.body.starts_with(R"([{"target":"a.b.c A","tags":{"name":"a.b.c"},"datapoints":[[)"));
  CHECK(Get("/render?target=constantLine(100)&from=-2min&format=json").body ==
        "[{\"target\":\"100.0\",\"tags\":{\"name\":\"100.0\"},\"datapoints\":[[100,1420109880],"
        "[100,1420109940],[100,1420110000]]}]");
  CHECK(Get("/render?target=a.b.c&from=-20s&format=raw").body ==
        "a.b.c,1420109990,1420110010,10|5.0,None\n");
  CHECK(Get("/render?target=a.b.c&from=-20s&format=csv").body ==
        "a.b.c,2015-01-01 10:59:50,5.0\r\na.b.c,2015-01-01 11:00:00,\r\n");
  CHECK(Get("/render?target=a.b.c&from=-20s&format=json&jsonp=cb").body.starts_with("cb([{"));
  Reply bad = Get("/render?target=nope(a.b.c)&format=json");
  CHECK(bad.status == 400);
  CHECK(bad.body == "Received request for unknown function: nope\n");
  CHECK(Get("/render?target=a.b.c&from=-1x").status == 400);
  CHECK(Get("/render?target=a.b.c&from=now&until=now").status == 400);
  CHECK(Get("/render?target=f(&format=json").status == 400);
}

TEST_CASE_METHOD(ServerFixture, "version, health, metrics, 404") {
  CHECK(Get("/version").body == "1.1.10\n");
  Reply health = Get("/health");
  CHECK(health.status == 200);
  CHECK(health.body.starts_with(R"({"status":"ok")"));
  db.stats().SetHealth("store", common::HealthState::kDegraded, "compaction failed");
  health = Get("/health");
  CHECK(health.status == 503);  // a load balancer takes a degraded instance out
  CHECK(health.body.starts_with(R"({"status":"degraded")"));
  db.stats().SetHealth("store", common::HealthState::kFailed, "disk full");
  health = Get("/health");
  CHECK(health.status == 503);
  CHECK(health.body.find(R"("store":{"state":"failed","detail":"disk full"})") !=
        std::string::npos);
  Reply metrics = Get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find(
            "# TYPE hourglass_http_requests_total counter\nhourglass_http_requests_total ") !=
        std::string::npos);
  CHECK(metrics.body.find("# TYPE hourglass_http_connections_open gauge") != std::string::npos);
  CHECK(metrics.body.find("# TYPE hourglass_http_render_seconds_total counter") !=
        std::string::npos);
  Reply missing = Get("/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"not found","path":"/nope"})");
}

TEST_CASE_METHOD(ServerFixture, "oversized bodies and excess connections are refused") {
  Reply big = Client(server->bound_address())
                  .Send(http::verb::post, "/render", "target=" + std::string(8192, 'a'));
  CHECK(big.status == 413);
  std::vector<std::unique_ptr<Client>> open;
  for (int i = 0; i < 4; ++i) {
    open.push_back(std::make_unique<Client>(server->bound_address()));
    REQUIRE(open.back()->Send(http::verb::get, "/version").status == 200);
  }
  Client extra(server->bound_address());
  CHECK(extra.Read().status == 503);
  CHECK(db.stats().GetCounter("http.connections_refused", "").Value() == 1);
}

}  // namespace
}  // namespace hourglass::query

namespace hourglass::query {
namespace {

TEST_CASE("a render longer than one part is chunked; HTTP/1.0 gets it whole") {
  testing::TestStore db;
  db.AddSeries("a.b.c", 0);
  db.AddSeries("a.b.d", 100);
  HttpOptions options;
  options.listen = "127.0.0.1:0";
  options.render.chunk_bytes = 64;
  auto started = HttpServer::Start(options, db.store(), db.stats(), db.clock());
  REQUIRE(started.ok());
  const std::string address = (*started)->bound_address();
  const std::string query = "/render?target=a.b.*&from=-60s&until=now";
  const std::string target = query + "&format=json";
  ApiRouter router(db.store(), db.stats(), db.clock(), "1.1.10");
  const ApiResponse whole = router.Handle({"GET", target, "", ""});
  REQUIRE_FALSE(whole.more);
  REQUIRE(whole.body.size() > 3 * options.render.chunk_bytes);

  Client client(address);
  Reply chunked = client.Send(http::verb::get, target);
  CHECK(chunked.status == 200);
  CHECK(chunked.chunked);
  CHECK(chunked.content_type == "application/json");
  CHECK(chunked.body == whole.body);
  // The connection is kept alive after the last chunk, HEAD gets the headers.
  Reply head = client.Send(http::verb::head, target);
  CHECK(head.status == 200);
  CHECK(head.chunked);
  CHECK(head.body.empty());
  CHECK(client.Send(http::verb::get, "/version").body == "1.1.10\n");
  Reply csv = client.Send(http::verb::get, query + "&format=csv");
  CHECK(csv.chunked);
  CHECK(csv.body.find("a.b.d,2015-01-01 10:59:50,105.0\r\n") != std::string::npos);

  Reply http10 = Client(address).Send(http::verb::get, target, {}, {}, 10);
  CHECK(http10.status == 200);
  CHECK_FALSE(http10.chunked);
  CHECK(http10.body == whole.body);
  // Small answers keep their Content-Length.
  Reply small = client.Send(http::verb::get, "/render?target=a.b.c&from=-10s&format=raw");
  CHECK(small.status == 200);
  CHECK_FALSE(small.chunked);
}

}  // namespace
}  // namespace hourglass::query
