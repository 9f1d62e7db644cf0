#include "ingest/syslog/syslog_tls_context.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace hourglass::ingest {
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

common::Status Unloadable(const char* what, const std::string& path, const std::string& why) {
  return common::Status::Error("cannot load syslog TLS " + std::string(what) + " " + path + ": " +
                               why);
}

}  // namespace

common::Result<std::unique_ptr<ssl::context>> MakeSyslogTlsContext(
    const SyslogServerOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                           ssl::context::single_dh_use,
                       ec);
  context->set_password_callback(
      [](size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  const std::pair<const char*, const std::string*> files[] = {
      {"certificate (syslog.tls_cert)", &options.tls_cert},
      {"key (syslog.tls_key)", &options.tls_key},
      {"CA file (syslog.tls_ca)", &options.tls_ca}};
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    return common::Status::Error(
        "syslog TLS needs both syslog.tls_cert and syslog.tls_key (PEM files)");
  }
  for (const auto& [what, path] : files) {
    if (!path->empty() && access(path->c_str(), R_OK) != 0) {
      return Unloadable(what, *path, std::strerror(errno));
    }
  }
  if (context->use_certificate_chain_file(options.tls_cert, ec); ec) {
    return Unloadable(files[0].first, options.tls_cert, ec.message());
  }
  if (context->use_private_key_file(options.tls_key, ssl::context::pem, ec); ec) {
    return Unloadable(files[1].first, options.tls_key, ec.message());
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Unloadable(files[1].first, options.tls_key, "does not match " + options.tls_cert);
  }
  if (!options.tls_ca.empty()) {
    if (context->load_verify_file(options.tls_ca, ec); ec) {
      return Unloadable(files[2].first, options.tls_ca, ec.message());
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return Unloadable(files[2].first, options.tls_ca, ec.message());
  }
  return context;
}

}  // namespace hourglass::ingest
