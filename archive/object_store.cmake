# hg_object_store: the ObjectStore interface, the file:// and S3 implementations,
# S3 credentials and SigV4 presigning. include()d from archive/CMakeLists.txt.
add_library(hg_object_store
  ${CMAKE_CURRENT_LIST_DIR}/object_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/local_object_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/presign.cc
  ${CMAKE_CURRENT_LIST_DIR}/s3_credentials.cc
  ${CMAKE_CURRENT_LIST_DIR}/s3_http.cc
  ${CMAKE_CURRENT_LIST_DIR}/s3_object_store.cc)
target_link_libraries(hg_object_store
  PUBLIC hg_common hg_util CURL::libcurl OpenSSL::Crypto
  PRIVATE spdlog::spdlog tomlplusplus::tomlplusplus)
