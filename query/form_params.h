// FormParams: the merged request parameters, like Django's request.GET
// updated with request.POST: query string first, then a form-encoded body.
// Get() returns the last value (so POST wins), GetAll() every value in order.
// Decoding is lenient (Grafana posts `query=a.{b,c}*` unencoded; a stray '%'
// stays literal). Bounded: at most kMaxParams pairs. Owned by one request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hourglass::query {

class FormParams {
 public:
  static constexpr size_t kMaxParams = 1000;

  // Appends the pairs of "a=1&b=2" (with '+' as space). False when the
  // parameter limit was reached (the rest is ignored).
  bool Parse(std::string_view encoded);

  bool Has(std::string_view name) const;
  std::optional<std::string_view> Get(std::string_view name) const;
  std::vector<std::string_view> GetAll(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace hourglass::query
