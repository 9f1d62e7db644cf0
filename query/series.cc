#include "query/series.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace hourglass::query {

bool ParseConsolidationFunc(std::string_view name, ConsolidationFunc& out) {
  static const std::pair<std::string_view, ConsolidationFunc> kFuncs[] = {
      {"average", ConsolidationFunc::kAverage},  {"avg", ConsolidationFunc::kAverage},
      {"avg_zero", ConsolidationFunc::kAvgZero}, {"sum", ConsolidationFunc::kSum},
      {"min", ConsolidationFunc::kMin},          {"max", ConsolidationFunc::kMax},
      {"first", ConsolidationFunc::kFirst},      {"last", ConsolidationFunc::kLast},
  };
  for (const auto& [text, func] : kFuncs) {
    if (name == text) {
      out = func;
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> ParseTags(const std::string& name) {
  std::map<std::string, std::string> tags;
  const size_t semi = name.find(';');
  const bool looks_like_call = !name.empty() && name.back() == ')' &&
                               std::isalpha(static_cast<unsigned char>(name[0])) &&
                               name.find('(') != std::string::npos;
  if (semi == std::string::npos || looks_like_call) {
    tags["name"] = name;
    return tags;
  }
  size_t pos = semi + 1;
  while (pos <= name.size()) {
    size_t next = name.find(';', pos);
    if (next == std::string::npos) next = name.size();
    const std::string_view part(name.data() + pos, next - pos);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) return {{"name", name}};  // not a tagged name
    tags[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
    pos = next + 1;
  }
  tags["name"] = name.substr(0, semi);
  return tags;
}

Series MakeSeries(std::string name, int64_t start, int64_t end, int64_t step,
                  std::vector<double> values) {
  Series s;
  s.tags = ParseTags(name);
  s.path_expression = name;
  s.name = std::move(name);
  s.start = start;
  s.end = end;
  s.step = step;
  s.values = std::move(values);
  return s;
}

namespace {

// One bucket: `buf` holds the non-null values (or zeros for avg_zero).
double Consolidate(ConsolidationFunc func, const std::vector<double>& buf) {
  switch (func) {
    case ConsolidationFunc::kAverage:
    case ConsolidationFunc::kAvgZero:
    case ConsolidationFunc::kSum: {
      double sum = 0;
      for (double v : buf) sum += v;
      return func == ConsolidationFunc::kSum ? sum : sum / static_cast<double>(buf.size());
    }
    case ConsolidationFunc::kMin:
      return *std::min_element(buf.begin(), buf.end());
    case ConsolidationFunc::kMax:
      return *std::max_element(buf.begin(), buf.end());
    case ConsolidationFunc::kFirst:
      return buf.front();
    case ConsolidationFunc::kLast:
      return buf.back();
  }
  return NAN;
}

}  // namespace

std::vector<double> ConsolidatedValues(const Series& series) {
  const int64_t vpp = series.values_per_point;
  if (vpp <= 1) return series.values;
  std::vector<double> out;
  out.reserve(series.values.size() / static_cast<size_t>(vpp) + 1);
  std::vector<double> buf;
  int64_t count = 0, non_null = 0;
  auto flush = [&] {
    const bool enough = non_null > 0 && static_cast<double>(non_null) / static_cast<double>(vpp) >=
                                            series.x_files_factor;
    out.push_back(enough ? Consolidate(series.consolidation, buf) : NAN);
    buf.clear();
    count = non_null = 0;
  };
  for (double v : series.values) {
    ++count;
    if (!std::isnan(v)) {
      buf.push_back(v);
      ++non_null;
    } else if (series.consolidation == ConsolidationFunc::kAvgZero) {
      buf.push_back(0);
    }
    if (count == vpp) flush();
  }
  if (count > 0) flush();
  return out;
}

void ApplyMaxDataPoints(SeriesList& list, int64_t max_data_points) {
  if (list.empty() || max_data_points <= 0) return;
  int64_t start_time = list[0].start, end_time = list[0].end;
  for (const Series& s : list) {
    start_time = std::min(start_time, s.start);
    end_time = std::max(end_time, s.end);
  }
  const double time_range = static_cast<double>(end_time - start_time);
  for (Series& s : list) {
    if (max_data_points == 1) {
      s.values_per_point = std::max<int64_t>(1, static_cast<int64_t>(s.values.size()));
      continue;
    }
    if (s.step <= 0) continue;
    const double points = time_range / static_cast<double>(s.step);
    if (static_cast<double>(max_data_points) >= points) continue;
    const auto vpp = static_cast<int64_t>(std::ceil(points / static_cast<double>(max_data_points)));
    const int64_t seconds_per_point = vpp * s.step;
    // Python's % is a floor modulo; starts are positive in practice.
    auto pymod = [](int64_t a, int64_t b) { return ((a % b) + b) % b; };
    const int64_t nudge =
        seconds_per_point + pymod(s.start, s.step) - pymod(s.start, seconds_per_point);
    s.start += nudge;
    const int64_t to_lose = nudge / s.step;
    const int64_t drop = std::clamp<int64_t>(to_lose - 1, 0, static_cast<int64_t>(s.values.size()));
    s.values.erase(s.values.begin(), s.values.begin() + drop);
    s.values_per_point = vpp;
  }
}

}  // namespace hourglass::query
