# include()d from tests/ingest/CMakeLists.txt.
hg_add_test(syslog_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/syslog_framer_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/syslog_parser_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/syslog_server_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/syslog_tls_test.cc
  LIBS hg_syslog)
