# Object store unit tests and the s3_tool driver the e2e tests use against RGW.
# include()d from tests/archive/CMakeLists.txt.
hg_add_test(object_store_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/object_store_test.cc
  LIBS hg_object_store)
add_executable(s3_tool ${CMAKE_CURRENT_LIST_DIR}/s3_tool.cc)
target_link_libraries(s3_tool PRIVATE hg_object_store)
