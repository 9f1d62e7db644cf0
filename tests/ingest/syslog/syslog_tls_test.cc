// SyslogServer's TLS listener (RFC 5425): a self-signed certificate made
// with the openssl CLI at test time, an Asio ssl client, port 0, a temp dir.
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/listen_address.h"
#include "ingest/syslog/syslog_server.h"
#include "tests/ingest/syslog/syslog_fixture.h"

namespace hourglass::ingest {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;
using boost::system::error_code;
using namespace std::literals;

using testing::k0500;

std::string TempDir() { return testing::TempDir("hg-syslog-tls"); }

// DIR/NAME.crt and DIR/NAME.key: a self-signed P-256 certificate for
// 127.0.0.1 (its own CA). `extra` goes to `openssl req` (e.g. a passphrase).
void MakeCert(const std::string& dir, const std::string& name,
              const std::string& extra = "-nodes") {
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 " + extra +
      " -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".crt 2>/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
}

struct Fixture : testing::SyslogFixture {
  // `adjust` may change the options before the server starts.
  explicit Fixture(const std::function<void(SyslogServerOptions&)>& adjust = {})
      : SyslogFixture("hg-syslog-tls") {
    MakeCert(dir, "server");
    archive::AuditOptions audit;
    audit.dir = dir + "/audit";
    SyslogServerOptions options = Options();
    if (adjust) adjust(options);
    Start(audit, options);
  }

  SyslogServerOptions Options() const {
    SyslogServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_listen = "127.0.0.1:0";
    options.tls_cert = dir + "/server.crt";
    options.tls_key = dir + "/server.key";
    return options;
  }

  // A client context that trusts the server's certificate; `client` (a
  // NAME of MakeCert) is presented as the client certificate.
  ssl::context ClientContext(const std::string& client = "") {
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(dir + "/server.crt");
    context.set_verify_mode(ssl::verify_peer);
    if (!client.empty()) {
      context.use_certificate_chain_file(dir + "/" + client + ".crt");
      context.use_private_key_file(dir + "/" + client + ".key", ssl::context::pem);
    }
    return context;
  }
  // A TLS connection to the TLS listener, handshake done (or `ec` set).
  std::unique_ptr<TlsStream> ConnectTls(ssl::context& context, error_code& ec) {
    auto stream = std::make_unique<TlsStream>(ConnectTo(server->tls_bound_address()), context);
    stream->handshake(ssl::stream_base::client, ec);
    return stream;
  }
  std::vector<std::string> Lines() { return ReadLines(dir + "/audit/audit-20261121T0500Z.log"); }
};

bool Has(const std::string& line, std::string_view part) {
  return line.find(part) != std::string::npos;
}

TEST_CASE("TLS and plain listeners side by side, framing detected per frame over TLS") {
  Fixture f;
  CHECK(f.server->tls_bound_address().starts_with("127.0.0.1:"));
  CHECK(f.server->tls_bound_address() != f.server->bound_address());
  auto context = f.ClientContext();
  error_code ec;
  auto tls = f.ConnectTls(context, ec);
  REQUIRE_FALSE(ec);
  const std::string counted = "<165>1 2003-10-11T22:14:15.003Z h a - - - over tls";
  for (const std::string& part :
       {"<13>Nov 21 05:00:00 host app[1]: first\n"s, std::to_string(counted.size()) + " " + counted,
        "<14>python style\0"s, "<13>split ac"s, "ross records\n<13>tail without LF"s}) {
    asio::write(*tls, asio::buffer(part));
  }
  tls->shutdown(ec);  // close_notify; the server's own close ends it
  auto plain = f.ConnectTo(f.server->bound_address());
  asio::write(plain, asio::buffer("<13>plain beside\n"sv));
  plain.close();
  f.WaitFor("syslog.messages_received", 6);
  auto lines = f.Lines();
  REQUIRE(lines.size() == 6);
  std::stable_partition(lines.begin(), lines.end(), [](const std::string& line) {
    return !Has(line, "plain beside");  // TLS lines first, in their order
  });
  CHECK(Has(lines[0], R"("message":"first")"));
  CHECK(Has(lines[1], R"("format":"rfc5424")"));
  CHECK(Has(lines[1], R"("message":"over tls")"));
  CHECK(Has(lines[2], R"("message":"python style")"));
  CHECK(Has(lines[3], R"("message":"split across records")"));
  CHECK(Has(lines[4], R"("message":"tail without LF")"));
  CHECK(Has(lines[5], R"("message":"plain beside")"));
  CHECK(Has(lines[0], R"("peer":"127.0.0.1:)"));
  CHECK(f.Stat("syslog.connections_accepted") == 2);
  CHECK(f.Stat("syslog.tls_handshake_failures") == 0);
}

TEST_CASE("plain text on the TLS port and TLS 1.1 are handshake failures, counted") {
  Fixture f;
  auto socket = f.ConnectTo(f.server->tls_bound_address());
  asio::write(socket, asio::buffer("<13>not tls\n"sv));
  CHECK(f.ReadOne(socket));  // closed by the server
  f.WaitFor("syslog.tls_handshake_failures", 1);

  ssl::context old(ssl::context::tls_client);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(old.native_handle(), "DEFAULT@SECLEVEL=0");
  error_code ec;
  auto tls11 = f.ConnectTls(old, ec);
  CHECK(ec);
  f.WaitFor("syslog.tls_handshake_failures", 2);
  CHECK(f.Stat("syslog.messages_received") == 0);
  f.WaitFor("syslog.connections_open", 0);  // the failed session closes just after counting
}

TEST_CASE("a TLS connection that never handshakes is closed at idle_timeout") {
  Fixture f([](SyslogServerOptions& options) { options.idle_timeout_s = 1; });
  auto socket = f.ConnectTo(f.server->tls_bound_address());
  CHECK(f.ReadOne(socket));  // closed by the server
  f.WaitFor("syslog.idle_timeouts", 1);
  f.WaitFor("syslog.tls_handshake_failures", 1);
}

TEST_CASE("TLS connections count against max_connections, handshake or not") {
  Fixture f([](SyslogServerOptions& options) { options.max_connections = 1; });
  auto silent = f.ConnectTo(f.server->tls_bound_address());
  f.WaitFor("syslog.connections_open", 1);
  auto context = f.ClientContext();
  error_code ec;
  auto refused = f.ConnectTls(context, ec);
  CHECK(ec);
  f.WaitFor("syslog.connections_refused", 1);
  silent.close();
  f.WaitFor("syslog.tls_handshake_failures", 1);  // the silent one, at its EOF
}

TEST_CASE("with tls_ca, a client must present a certificate the CA signed") {
  Fixture f([](SyslogServerOptions& options) {
    MakeCert(std::filesystem::path(options.tls_cert).parent_path().string(), "client");
    options.tls_ca = std::filesystem::path(options.tls_cert).parent_path().string() + "/client.crt";
  });
  {
    auto anonymous = f.ClientContext();
    error_code ec;
    auto tls = f.ConnectTls(anonymous, ec);
    if (!ec) asio::write(*tls, asio::buffer("<13>anonymous\n"sv), ec);  // TLS 1.3: fails later
    f.WaitFor("syslog.tls_handshake_failures", 1);
  }
  auto known = f.ClientContext("client");
  error_code ec;
  auto tls = f.ConnectTls(known, ec);
  REQUIRE_FALSE(ec);
  asio::write(*tls, asio::buffer("<13>with a certificate\n"sv));
  f.WaitFor("syslog.messages_received", 1);
  CHECK(Has(f.Lines().at(0), "with a certificate"));
}

TEST_CASE("Stop hands over what was read over TLS, partial frames included") {
  Fixture f;
  auto context = f.ClientContext();
  error_code ec;
  auto tls = f.ConnectTls(context, ec);
  REQUIRE_FALSE(ec);
  asio::write(*tls, asio::buffer("<13>complete\n<13>partial"sv));
  f.WaitFor("syslog.bytes_received", 24);
  f.server->Stop();
  const auto lines = f.Lines();
  REQUIRE(lines.size() == 2);
  CHECK(Has(lines[1], R"("message":"partial")"));
}

TEST_CASE("unloadable TLS files fail Start with one line naming the file, not its contents") {
  const std::string dir = TempDir();
  MakeCert(dir, "a");
  MakeCert(dir, "b");
  MakeCert(dir, "locked", "-passout pass:secret");
  { std::ofstream(dir + "/garbage.key") << "SECRET-KEY-MATERIAL-0123456789\n"; }
  common::ManualClock clock{k0500};
  common::StatsRegistry stats;
  archive::AuditOptions audit;
  audit.dir = dir;
  auto writer = archive::AuditWriter::Open(audit, clock, stats);
  REQUIRE(writer.ok());
  auto start = [&](const std::string& cert, const std::string& key) {
    SyslogServerOptions options;
    options.listen = options.tls_listen = "127.0.0.1:0";
    options.tls_cert = dir + "/" + cert;
    options.tls_key = dir + "/" + key;
    auto server = SyslogServer::Start(options, **writer, stats, clock);
    REQUIRE_FALSE(server.ok());
    const std::string message = server.status().message();
    CHECK(message.find('\n') == std::string::npos);
    CHECK_FALSE(Has(message, "SECRET-KEY"));
    return message;
  };
  std::string message = start("missing.crt", "a.key");
  CHECK(Has(message, dir + "/missing.crt"));
  CHECK(Has(message, "syslog.tls_cert"));
  CHECK(Has(message, "No such file"));
  message = start("a.crt", "garbage.key");
  CHECK(Has(message, dir + "/garbage.key"));
  CHECK(Has(message, "syslog.tls_key"));
  message = start("a.crt", "b.key");
  CHECK(Has(message, dir + "/b.key"));
  CHECK(Has(message, "mismatch"));
  CHECK(Has(start("locked.crt", "locked.key"), dir + "/locked.key"));  // no prompt
  (void)(*writer)->Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hourglass::ingest
