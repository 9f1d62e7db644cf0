# Graphite plaintext over TCP (carbon's line protocol, port 2003): parser and
# Asio server handing point batches to a sink. include()d from
# ingest/CMakeLists.txt.
add_library(hg_carbon
  ${CMAKE_CURRENT_LIST_DIR}/carbon_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/carbon_server.cc)
target_link_libraries(hg_carbon PUBLIC hg_tcp hg_common Boost::headers spdlog::spdlog)
