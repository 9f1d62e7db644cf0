// MakeSyslogTlsContext: the OpenSSL server context of the syslog TLS listener
// (RFC 5425), built once at start from SyslogServerOptions' PEM files. Setup
// only (call from the control thread); the context is then shared read-only
// by every TLS session.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "common/status.h"
#include "ingest/syslog/syslog_server.h"

namespace hourglass::ingest {

// TLS 1.2 and later only; with options.tls_ca, clients must present a
// certificate it signed. Fails with one line naming the file and the config
// key (never the file's contents); an encrypted key fails rather than prompting.
common::Result<std::unique_ptr<boost::asio::ssl::context>> MakeSyslogTlsContext(
    const SyslogServerOptions& options);

}  // namespace hourglass::ingest
