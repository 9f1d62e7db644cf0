#include "ingest/syslog/syslog_relp.h"

// DESIGN: librelp (1.11) calls the receive callback once per "syslog" frame
// on its single event-loop thread and queues "rsp 200 OK" right after the
// callback returns, whatever it returns (scsyslog.c); it has no way to defer
// an acknowledgement, no per-session hook and no session cap. So the callback
// submits the message to the AuditWriter as a batch of one and waits for it
// to be written (and fsynced under audit.fsync = "always"): an acknowledged
// message is durable, and throughput is one writer round trip (one fsync with
// "always") per message across all sessions. If the writer gives up on the
// message (it was closed), the callback never returns: the message is never
// acknowledged, and Stop abandons the thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>

#include "archive/audit/audit_format.h"
#include "common/listen_address.h"
#include "common/rate_limited_log.h"
#include "common/unique_fd.h"
#include "ingest/syslog/syslog_parser.h"

extern "C" {  // librelp.h declares C functions without a guard
#include <librelp.h>
}

namespace hourglass::ingest {

namespace {

std::atomic<common::Counter*> generic_errors{nullptr};  // librelp's generic callback has no user

union SockAddr {
  sockaddr base;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

bool IsV6(const common::ListenAddress& address) {
  return address.host.find(':') != std::string::npos;
}

socklen_t MakeSockAddr(const std::string& host, uint16_t port, bool v6, SockAddr& out) {
  out = {};
  if (v6) {
    out.v6.sin6_family = AF_INET6;
    out.v6.sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &out.v6.sin6_addr);
    return sizeof(out.v6);
  }
  out.v4.sin_family = AF_INET;
  out.v4.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &out.v4.sin_addr);
  return sizeof(out.v4);
}

// librelp cannot report the port it bound: for port 0, ask the kernel for a
// free one first (another process could take it before librelp binds; then
// Start fails with a clear line).
common::Result<uint16_t> FreePort(const common::ListenAddress& address) {
  const bool v6 = IsV6(address);
  common::UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SockAddr sa;
  socklen_t len = MakeSockAddr(address.host, 0, v6, sa);
  if (fd.get() < 0 || bind(fd.get(), &sa.base, len) != 0 || getsockname(fd.get(), &sa.base, &len)) {
    return common::Status::Error("no free port on " + address.host);
  }
  return ntohs(v6 ? sa.v6.sin6_port : sa.v4.sin_port);
}

// "::ffff:1.2.3.4" (an IPv4 client of a dual-stack socket) -> "1.2.3.4".
std::string_view PlainIp(std::string_view ip) {
  constexpr std::string_view kMapped = "::ffff:";
  if (ip.starts_with(kMapped) && ip.find('.') != ip.npos) ip.remove_prefix(kMapped.size());
  return ip;
}

}  // namespace

struct RelpServer::Impl {
  Impl(const RelpServerOptions& o, archive::AuditWriter& w, common::StatsRegistry& s,
       const common::Clock& c)
      : options(o),
        writer(w),
        clock(c),
        messages(s.GetCounter("syslog.relp_messages_received",
                              "syslog messages received over RELP (acknowledged once written)")),
        unparsed(s.GetCounter("syslog.relp_messages_unparsed",
                              "RELP messages kept whole because they are not RFC 5424/3164")),
        errors(s.GetCounter("syslog.relp_errors",
                            "RELP session errors reported by librelp, and messages the audit "
                            "writer gave up on (never acknowledged)")) {}

  const RelpServerOptions options;
  archive::AuditWriter& writer;
  const common::Clock& clock;
  common::Counter& messages;
  common::Counter& unparsed;
  common::Counter& errors;
  common::RateLimitedLog error_log;

  common::ListenAddress address;
  std::string bound;
  relpEngine_t* engine = nullptr;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;   // relpEngineRun returned
  bool abandoned = false;  // Stop gave up waiting; the thread owns the engine

  relpRetVal Receive(std::string_view ip, std::string_view raw);
  void Run();
  void Wake() const;
};

relpRetVal RelpServer::Impl::Receive(std::string_view ip, std::string_view raw) {
  const int64_t now = clock.NowMicros();
  // rsyslog's templates end in LF, which RELP (length-framed) carries
  // along; drop it as rsyslog's parser does (parser.dropTrailingLFOnReception).
  if (raw.ends_with('\n')) raw.remove_suffix(1);
  const std::string peer(PlainIp(ip));
  archive::AuditRecord record =
      ParseSyslog(raw, SyslogOrigin{.received_micros = now, .peer = peer});
  // librelp gives the peer's IP without its port, which PeerIp cannot read.
  if (record.host.empty()) record.host = peer;
  messages.Add();
  unparsed.Add(record.format == archive::SyslogFormat::kUnparsed);
  std::vector<archive::AuditEntry> entries(1);
  entries[0].received_micros = now;
  archive::AppendAuditLine(writer.format(), record, entries[0].line);

  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    common::Status status;
  };
  auto wait = std::make_shared<Wait>();
  writer.Submit(std::move(entries), [wait](const common::Status& status) {
    std::lock_guard lock(wait->mu);
    wait->status = status;
    wait->done = true;
    wait->cv.notify_all();
  });
  std::unique_lock lock(wait->mu);
  wait->cv.wait(lock, [&] { return wait->done; });
  if (wait->status.ok()) return RELP_RET_OK;
  // librelp would acknowledge whatever we return: never return.
  errors.Add();
  spdlog::error("relp: the audit writer gave up on a message ({}); it is not acknowledged",
                wait->status.message());
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

void RelpServer::Impl::Run() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);  // a peer gone mid-send: EPIPE, not the process's death
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  if (const relpRetVal ret = relpEngineRun(engine); ret != RELP_RET_OK) {
    spdlog::error("relp: the event loop stopped with librelp error {}", ret);
  }
  std::lock_guard lock(mu);
  finished = true;
  cv.notify_all();
}

// relpEngineRun checks the stop flag only when epoll wakes it: connect once.
void RelpServer::Impl::Wake() const {
  const bool v6 = IsV6(address);
  std::string host = address.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  common::UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SockAddr sa;
  const socklen_t len = MakeSockAddr(host, address.port, v6, sa);
  if (fd.get() >= 0) (void)connect(fd.get(), &sa.base, len);
}

namespace {

relpRetVal OnSyslog(void* user, unsigned char* /*hostname*/, unsigned char* ip, unsigned char* msg,
                    size_t length) {
  auto* impl = static_cast<RelpServer::Impl*>(user);
  return impl->Receive(ip ? reinterpret_cast<const char*>(ip) : "",
                       std::string_view(reinterpret_cast<const char*>(msg), length));
}

void OnError(void* user, char* object, char* message, relpRetVal code) {
  auto* impl = static_cast<RelpServer::Impl*>(user);
  if (impl) impl->errors.Add();
  spdlog::warn("relp: {}: {} (librelp error {})", object ? object : "", message ? message : "",
               code);
}

void NoDebug(char* /*format*/, ...) {}

void OnGenericError(char* object, char* message, relpRetVal code) {
  if (common::Counter* counter = generic_errors.load()) counter->Add();
  spdlog::warn("relp: {}: {} (librelp error {})", object ? object : "", message ? message : "",
               code);
}

}  // namespace

common::Result<std::unique_ptr<RelpServer>> RelpServer::Start(const RelpServerOptions& options,
                                                              archive::AuditWriter& writer,
                                                              common::StatsRegistry& stats,
                                                              const common::Clock& clock) {
  auto impl = std::make_unique<Impl>(options, writer, stats, clock);
  auto address = common::ParseListenAddress(options.listen);
  if (!address)
    return common::Status::Error("relp listen " + options.listen + ": " +
                                 address.status().message());
  impl->address = *address;
  if (impl->address.port == 0) {
    auto port = FreePort(impl->address);
    if (!port) return port.status();
    impl->address.port = *port;
  }
  impl->bound = common::FormatAddress(impl->address.host, impl->address.port);
  generic_errors.store(&impl->errors);

  relpEngine_t* engine = nullptr;
  relpSrv_t* server = nullptr;
  std::string port = std::to_string(impl->address.port);
  std::string host = impl->address.host;
  auto* uport = reinterpret_cast<unsigned char*>(port.data());
  auto* uhost = reinterpret_cast<unsigned char*>(host.data());
  auto* syslog_cmd = reinterpret_cast<unsigned char*>(const_cast<char*>("syslog"));
  relpRetVal ret = relpEngineConstruct(&engine);
  if (ret == RELP_RET_OK) {
    impl->engine = engine;
    relpEngineSetDbgprint(engine, NoDebug);  // librelp calls it unchecked
    relpEngineSetDnsLookupMode(engine, 0);   // the IP only: no reverse lookup per session
    relpEngineSetFamily(engine, IsV6(impl->address) ? AF_INET6 : AF_INET);
    relpEngineSetOnErr(engine, OnError);
    relpEngineSetOnGenericErr(engine, OnGenericError);
    relpEngineSetSyslogRcv2(engine, OnSyslog);
    ret = relpEngineSetEnableCmd(engine, syslog_cmd, eRelpCmdState_Required);
  }
  if (ret == RELP_RET_OK) ret = relpEngineListnerConstruct(engine, &server);
  if (ret == RELP_RET_OK) ret = relpSrvSetLstnPort(server, uport);
  if (ret == RELP_RET_OK) ret = relpSrvSetLstnAddr(server, uhost);
  if (ret == RELP_RET_OK) ret = relpSrvSetUsrPtr(server, impl.get());
  if (ret == RELP_RET_OK) ret = relpSrvSetMaxDataSize(server, options.max_message_size);
  if (ret == RELP_RET_OK) ret = relpSrvSetOversizeMode(server, RELP_OVERSIZE_TRUNCATE);
  if (ret == RELP_RET_OK) ret = relpEngineListnerConstructFinalize(engine, server);
  if (ret != RELP_RET_OK) {
    if (engine) relpEngineDestruct(&engine);
    return common::Status::Error("relp listen " + impl->bound + ": librelp error " +
                                 std::to_string(ret) + " (address in use?)");
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<RelpServer>(new RelpServer(std::move(impl)));
}

RelpServer::RelpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RelpServer::~RelpServer() {
  Stop();
  if (impl_->abandoned) static_cast<void>(impl_.release());  // its thread still uses it
}

const std::string& RelpServer::bound_address() const { return impl_->bound; }

void RelpServer::Stop() {
  if (!impl_->thread.joinable()) return;
  relpEngineSetStop(impl_->engine);
  impl_->Wake();
  std::unique_lock lock(impl_->mu);
  const bool finished =
      impl_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->finished; });
  lock.unlock();
  if (!finished) {
    // Blocked on a write that did not finish: never acknowledge it. The
    // thread keeps the engine and Impl (leaked on purpose, until exit).
    spdlog::error("relp: a message is still being written after 10 s; not acknowledging it");
    impl_->thread.detach();
    impl_->abandoned = true;
    return;
  }
  impl_->thread.join();
  generic_errors.store(nullptr);
  relpEngineDestruct(&impl_->engine);
}

}  // namespace hourglass::ingest
