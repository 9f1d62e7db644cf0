# Syslog over TCP and TLS (framer, RFC 5424/3164 parser, Asio server) feeding
# the audit writer. include()d from ingest/CMakeLists.txt.
add_library(hg_syslog
  ${CMAKE_CURRENT_LIST_DIR}/syslog_framer.cc
  ${CMAKE_CURRENT_LIST_DIR}/syslog_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/syslog_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/syslog_tls_context.cc)
target_link_libraries(hg_syslog PUBLIC hg_tcp hg_archive hg_common Boost::headers spdlog::spdlog
                      OpenSSL::SSL)
