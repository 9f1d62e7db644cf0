// The "Filter Series", "Filter Data" and "Sorting" groups: choosing,
// ordering and trimming series (highest*/lowest*, sortBy*, limit, grep,
// exclude, removeAbove/BelowValue), with graphite-web 1.1's stable sorts and
// its quirk that a series without values ranks as -inf.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/py_regex.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

// keyFunc(getAggFunc(func)): the series' aggregate, -inf for None.
double SortKey(const Series& s, AggFunc func) {
  const std::vector<double> v = ConsolidatedValues(s);
  const double key = ApplyAgg(func, v);
  return std::isnan(key) ? -INFINITY : key;
}

Result<SeriesList> SortByAgg(SeriesList list, std::string_view func_name, bool reverse) {
  AggFunc func;
  if (!ParseAggFunc(func_name, func)) {
    return Status::Error(fmt::format("Unsupported aggregation function: {}", func_name));
  }
  std::vector<std::pair<double, size_t>> keys;
  for (size_t i = 0; i < list.size(); ++i) keys.emplace_back(SortKey(list[i], func), i);
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    return reverse ? b.first < a.first : a.first < b.first;
  });
  SeriesList out;
  for (const auto& k : keys) out.push_back(std::move(list[k.second]));
  return out;
}

// seriesList[:n] with Python's slice rules for negative n.
SeriesList Head(SeriesList list, int64_t n) {
  const auto size = static_cast<int64_t>(list.size());
  const int64_t keep = std::clamp<int64_t>(n < 0 ? size + n : n, 0, size);
  list.resize(static_cast<size_t>(keep));
  return list;
}

template <const char* kFunc, bool kHighest>
Result<SeriesList> TopN(EvalContext&, std::vector<Value>& args) {
  Result<SeriesList> sorted = SortByAgg(std::move(args[0].series), kFunc, kHighest);
  if (!sorted.ok()) return sorted;
  return Head(std::move(*sorted), args[1].int_value);
}
constexpr char kCurrent[] = "current";
constexpr char kAverage[] = "average";
constexpr char kMax[] = "max";

template <bool kHighest>
Result<SeriesList> HighestLowest(EvalContext&, std::vector<Value>& args) {
  Result<SeriesList> sorted = SortByAgg(std::move(args[0].series), args[2].string_value, kHighest);
  if (!sorted.ok()) return sorted;
  return Head(std::move(*sorted), args[1].int_value);
}

Result<SeriesList> SortByMaxima(EvalContext&, std::vector<Value>& args) {
  return SortByAgg(std::move(args[0].series), "max", true);
}

Result<SeriesList> SortBy(EvalContext&, std::vector<Value>& args) {
  return SortByAgg(std::move(args[0].series), args[1].string_value, args[2].bool_value);
}

// natSortKey: every run of digits zero-padded to 10 characters.
std::string NaturalKey(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) {
      out.push_back(name[i++]);
      continue;
    }
    size_t j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    std::string digits = name.substr(i, j - i);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    out += std::string(digits.size() < 10 ? 10 - digits.size() : 0, '0') + digits;
    i = j;
  }
  return out;
}

Result<SeriesList> SortByName(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const bool natural = args[1].bool_value, reverse = args[2].bool_value;
  std::vector<std::pair<std::string, size_t>> keys;
  for (size_t i = 0; i < list.size(); ++i) {
    keys.emplace_back(natural ? NaturalKey(list[i].name) : list[i].name, i);
  }
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    return reverse ? b.first < a.first : a.first < b.first;
  });
  SeriesList out;
  for (const auto& k : keys) out.push_back(std::move(list[k.second]));
  return out;
}

Result<SeriesList> Limit(EvalContext&, std::vector<Value>& args) {
  return Head(std::move(args[0].series), args[1].int_value);
}

template <bool kKeepMatches>
Result<SeriesList> GrepImpl(EvalContext&, std::vector<Value>& args) {
  Result<PyRegex> regex = PyRegex::Compile(args[1].string_value);
  if (!regex.ok()) return regex.status();
  SeriesList out;
  for (Series& s : args[0].series) {
    Result<bool> found = regex->TrySearch(s.name);
    if (!found.ok()) return found.status();
    if (*found == kKeepMatches) out.push_back(std::move(s));
  }
  return out;
}

template <bool kBelow>
Result<SeriesList> RemoveValues(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  const double n = args[1].float_value;
  for (Series& s : list) {
    s.name =
        fmt::format("{}({}, {})", kBelow ? "removeBelowValue" : "removeAboveValue", s.name, PyG(n));
    s.path_expression = s.name;
    for (double& v : s.values) {
      if (kBelow ? (std::isnan(v) || v < n) : (!std::isnan(v) && v > n)) v = NAN;
    }
  }
  return list;
}

}  // namespace

void RegisterFilterFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  const Param n{"n", ParamType::kInteger, true};
  const Param agg{"func", ParamType::kAggFunc, false, {}, "\"average\""};
  const std::string f = "Filter Series";
  r.Add({"highestCurrent",
         {series, n},
         &TopN<kCurrent, true>,
         f,
         "The n series with the highest last value."});
  r.Add({"highestAverage",
         {series, n},
         &TopN<kAverage, true>,
         f,
         "The n series with the highest average."});
  r.Add(
      {"highestMax", {series, n}, &TopN<kMax, true>, f, "The n series with the highest maximum."});
  r.Add({"lowestCurrent",
         {series, n},
         &TopN<kCurrent, false>,
         f,
         "The n series with the lowest last value."});
  r.Add({"lowestAverage",
         {series, n},
         &TopN<kAverage, false>,
         f,
         "The n series with the lowest average."});
  r.Add({"highest",
         {series, n, agg},
         &HighestLowest<true>,
         f,
         "The n series with the highest value of the aggregation."});
  r.Add({"lowest",
         {series, n, agg},
         &HighestLowest<false>,
         f,
         "The n series with the lowest value of the aggregation."});
  r.Add({"limit", {series, n}, &Limit, f, "The first n series."});
  r.Add({"grep",
         {series, {"pattern", ParamType::kString, true}},
         &GrepImpl<true>,
         f,
         "The series whose name matches the regular expression."});
  r.Add({"exclude",
         {series, {"pattern", ParamType::kString, true}},
         &GrepImpl<false>,
         f,
         "The series whose name does not match the regular expression."});
  r.Add({"removeBelowValue",
         {series, {"n", ParamType::kFloat, true}},
         &RemoveValues<true>,
         "Filter Data",
         "Sets values below n to null."});
  r.Add({"removeAboveValue",
         {series, {"n", ParamType::kFloat, true}},
         &RemoveValues<false>,
         "Filter Data",
         "Sets values above n to null."});
  const Param reverse{"reverse", ParamType::kBoolean, false, {}, "false"};
  r.Add({"sortByMaxima",
         {series},
         &SortByMaxima,
         "Sorting",
         "Sorts the series by their maximum, highest first."});
  r.Add({"sortByName",
         {series, {"natural", ParamType::kBoolean, false, {}, "false"}, reverse},
         &SortByName,
         "Sorting",
         "Sorts the series by name (natural: numbers by value)."});
  r.Add({"sortBy",
         {series, agg, reverse},
         &SortBy,
         "Sorting",
         "Sorts the series by the aggregation, lowest first unless reverse."});
}

}  // namespace hourglass::query
