# include()d from tests/ingest/CMakeLists.txt.
hg_add_test(carbon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/carbon_parser_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/carbon_server_test.cc
  LIBS hg_carbon)
