// DESIGN: a common::TcpAcceptor accepts (backing off on EMFILE and the
// like); each accepted socket gets its own strand and a Session that loops
// read -> ApiRouter -> write while keep-alive holds. Deadlines are set on the
// beast::tcp_stream once per phase, never per byte: a new connection must
// bring its whole request header within header_timeout; a kept-alive one may
// idle up to idle_timeout for the first byte of its next request, and then
// has header_timeout for the rest of the header; the body gets idle_timeout
// as a whole. A fresh request_parser per request carries the header and body
// limits. The open-connection count is an atomic shared by the acceptor's
// hook and the sessions; past max_connections a new socket gets a
// best-effort 503 and is closed. All state the sessions touch (Shared) is
// declared before the io_context in Impl, so it outlives every handler.
// A render answer longer than one part (ApiResponse::more) is written with
// chunked transfer encoding, a part at a time, so its body is never whole in
// memory; HTTP/1.0 clients get it whole with a Content-Length.
#include "query/http_server.h"

#include <atomic>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/listen_address.h"
#include "common/tcp_acceptor.h"
#include "query/api_router.h"
#include "store/series_store.h"

namespace hourglass::query {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr size_t kFirstRead = 4096;  // bytes asked for while waiting for a kept-alive request
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Shared {
  Shared(const HttpOptions& opts, store::SeriesStore& store, common::StatsRegistry& stats,
         const common::Clock& clock)
      : options(opts),
        router(store, stats, clock, opts.version, {opts.cors_origins, opts.token, opts.archive},
               opts.render, opts.events),
        requests(stats.GetCounter("http.requests", "HTTP requests received")),
        errors(
            stats.GetCounter("http.errors", "HTTP responses with status >= 400 and bad requests")),
        header_timeouts(stats.GetCounter(
            "http.header_timeouts",
            "HTTP connections closed: request header not complete within http.header_timeout")),
        open(stats.GetGauge("http.connections_open", "HTTP connections open")) {}

  HttpOptions options;
  ApiRouter router;
  common::Counter& requests;
  common::Counter& errors;
  common::Counter& header_timeouts;
  common::Gauge& open;
  std::atomic<size_t> open_count{0};
};

// The status line and headers of an answer.
template <class Body>
void SetHead(http::response<Body>& res, const ApiResponse& out, unsigned version, bool keep_alive) {
  res.result(out.status);
  res.version(version);
  res.set(http::field::server, "hourglass");
  res.set(http::field::content_type, out.content_type);
  res.set(http::field::cache_control, "no-cache");
  for (const auto& [name, value] : out.headers) res.set(name, value);
  res.keep_alive(keep_alive);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {
    shared_.open_count.fetch_add(1);
    shared_.open.Add(1);
  }
  ~Session() {
    shared_.open_count.fetch_sub(1);
    shared_.open.Add(-1);
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  // The next request. A new connection (or pipelined bytes) goes straight
  // to the header deadline; a kept-alive one first waits for a byte.
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(shared_.options.max_body_bytes);
    if (first_request_ || buffer_.size() > 0) {
      first_request_ = false;
      return ReadHeader();
    }
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_s));
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return DoClose();  // idle past idle_timeout, or the peer left
    buffer_.commit(n);
    ReadHeader();
  }

  // One deadline for the whole header: a byte now and then does not extend it.
  void ReadHeader() {
    stream_.expires_after(std::chrono::seconds(shared_.options.header_timeout_s));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t n) {
    if (ec == beast::error::timeout) {
      shared_.header_timeouts.Add();
      return DoClose();
    }
    if (ec || parser_->is_done()) return OnRead(ec, n);
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_s));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return DoClose();
    }
    if (ec == http::error::body_limit)
      return SendError(http::status::payload_too_large, "request body too large");
    if (ec == http::error::header_limit) {
      return SendError(http::status::request_header_fields_too_large, "request headers too large");
    }
    if (ec) {
      // A malformed request gets a 400 before the close; socket errors just close.
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return SendError(http::status::bad_request, "malformed HTTP request");
      }
      return DoClose();
    }
    Handle(parser_->release());
  }

  void Handle(http::request<http::string_body> req) {
    shared_.requests.Add();
    ApiRequest api{
        std::string_view(req.method_string().data(), req.method_string().size()),
        std::string_view(req.target().data(), req.target().size()),
        std::string_view(req[http::field::content_type].data(),
                         req[http::field::content_type].size()),
        req.body(),
        std::string_view(req[http::field::origin].data(), req[http::field::origin].size()),
        std::string_view(req[http::field::authorization].data(),
                         req[http::field::authorization].size())};
    ApiResponse out = shared_.router.Handle(api);
    if (out.status >= 400) shared_.errors.Add();
    if (out.more && req.version() < 11) ReadWholeBody(out);  // no chunked encoding in HTTP/1.0
    if (out.more) {
      return WriteChunked(std::move(out), req.version(), req.keep_alive(),
                          req.method() == http::verb::head);
    }
    res_ = {};
    SetHead(res_, out, req.version(), req.keep_alive());
    res_.body() = std::move(out.body);
    res_.prepare_payload();
    if (req.method() == http::verb::head) res_.body().clear();
    Write();
  }

  void SendError(http::status status, std::string_view message) {
    shared_.errors.Add();
    res_ = {};
    res_.result(status);
    res_.version(11);
    res_.set(http::field::server, "hourglass");
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = std::string(message) + "\n";
    res_.keep_alive(false);
    res_.prepare_payload();
    Write();
  }

  void Write() {
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return DoClose();
    if (!res_.keep_alive()) return DoClose();
    DoRead();
  }

  // A streamed answer: the header (Transfer-Encoding: chunked), then a chunk
  // per part as the socket takes it, each write with a fresh idle timeout,
  // then the last chunk. HEAD gets the header alone.
  void WriteChunked(ApiResponse out, unsigned version, bool keep_alive, bool head_only) {
    more_ = std::move(out.more);
    chunk_ = std::move(out.body);
    head_only_ = head_only;
    head_.emplace();
    SetHead(*head_, out, version, keep_alive);
    head_->chunked(true);
    head_sr_.emplace(*head_);
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_s));
    http::async_write_header(
        stream_, *head_sr_, beast::bind_front_handler(&Session::OnHeadWritten, shared_from_this()));
  }

  void OnHeadWritten(beast::error_code ec, size_t) {
    if (ec || head_only_) return EndChunked(!ec);
    WriteChunk();
  }

  void WriteChunk() {
    stream_.expires_after(std::chrono::seconds(shared_.options.idle_timeout_s));
    if (chunk_.empty()) {  // the body is complete
      more_ = nullptr;
      return net::async_write(stream_, http::make_chunk_last(),
                              beast::bind_front_handler(&Session::OnLastChunk, shared_from_this()));
    }
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     beast::bind_front_handler(&Session::OnChunk, shared_from_this()));
  }

  void OnChunk(beast::error_code ec, size_t) {
    if (ec) return EndChunked(false);
    chunk_.clear();
    while (more_ && chunk_.empty()) {
      if (!more_(chunk_)) more_ = nullptr;
    }
    WriteChunk();
  }

  void OnLastChunk(beast::error_code ec, size_t) { EndChunked(!ec); }

  void EndChunked(bool ok) {
    const bool keep_alive = ok && head_->keep_alive();
    more_ = nullptr;  // frees the series of an answer cut short
    chunk_ = std::string();
    head_sr_.reset();
    head_.reset();
    if (!keep_alive) return DoClose();
    DoRead();
  }

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Shared& shared_;
  bool first_request_ = true;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  // A chunked answer in progress (WriteChunked).
  std::optional<http::response<http::empty_body>> head_;
  std::optional<http::response_serializer<http::empty_body>> head_sr_;
  std::function<bool(std::string&)> more_;
  std::string chunk_;
  bool head_only_ = false;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpOptions& options, store::SeriesStore& store, common::StatsRegistry& stats,
       const common::Clock& clock)
      : shared(options, store, stats, clock),
        ioc(static_cast<int>(std::max<size_t>(1, options.threads))) {}

  void Stop() {
    if (stopped.exchange(true)) return;
    if (acceptor) acceptor->Close();
    ioc.stop();
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  }

  Shared shared;  // before ioc: outlives every handler
  net::io_context ioc;
  std::unique_ptr<common::TcpAcceptor> acceptor;  // after ioc: destroyed first
  std::vector<std::thread> threads;
  std::string bound;
  std::atomic<bool> stopped{false};
};

common::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpOptions& options,
                                                              store::SeriesStore& store,
                                                              common::StatsRegistry& stats,
                                                              const common::Clock& clock) {
  common::Result<common::ListenAddress> address = common::ParseListenAddress(options.listen);
  if (!address.ok()) {
    return common::Status::Error("bad http listen address '" + options.listen +
                                 "': " + address.status().message());
  }
  auto impl = std::make_unique<Impl>(options, store, stats, clock);
  auto acceptor = common::TcpAcceptor::Open(impl->ioc, *address,
                                            {.log_name = "http",
                                             .metric_prefix = "http",
                                             .cap_key = "http.max_connections",
                                             .refusal = std::string(kBusy)},
                                            stats, clock);
  if (!acceptor) {
    return common::Status::Error("cannot listen on " + options.listen + ": " +
                                 acceptor.status().message());
  }
  impl->acceptor = std::move(*acceptor);
  impl->bound = impl->acceptor->bound_address();
  impl->acceptor->Start([shared = &impl->shared](tcp::socket& socket) {
    if (shared->open_count.load() >= shared->options.max_connections) return false;
    // A streamed answer ends with small writes (the last chunk); with Nagle
    // they wait for the client's delayed ACK, ~40 ms per answer.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), *shared)->Run();
    return true;
  });
  for (size_t i = 0; i < std::max<size_t>(1, options.threads); ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] {
      while (!ioc->stopped()) {
        try {
          ioc->run();
        } catch (const std::exception& e) {
          spdlog::error("http: handler failed: {}", e.what());
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (impl_) impl_->Stop();
}

std::string HttpServer::bound_address() const { return impl_->bound; }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace hourglass::query
