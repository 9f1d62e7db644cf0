// Fuzz target: a POST /events/ body (JSON from the network) parsed as the
// events route does. An accepted event is written back as graphite-web's
// JSON, which must parse and carry the same "what", "data" and a "when"
// within the accepted years.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "query/events_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto event = hourglass::query::ParseEventBody(body, 1'700'000'000'000'000);
  if (!event.ok()) return 0;
  std::string json;
  hourglass::query::AppendEventJson(json, *event);
  boost::system::error_code ec;
  const boost::json::value back = boost::json::parse(json, ec);
  FUZZ_CHECK(!ec);
  const boost::json::object& obj = back.as_object();
  FUZZ_CHECK(obj.at("what").as_string() == event->what);
  FUZZ_CHECK(obj.at("data").as_string() == event->data);
  FUZZ_CHECK(obj.at("when").is_number());
  FUZZ_CHECK(obj.at("tags").is_array());
  return 0;
}
