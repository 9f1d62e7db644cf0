// graphite-web 1.1's drawing functions as its JSON renderer shows them: the
// ones that only set a PNG option (alpha, color, lineWidth) change nothing;
// dashed, drawAsInfinite, secondYAxis, stacked and areaBetween rename and tag
// (stacked also adds up its stack); legendValue and cactiStyle append values
// to the names; aliasQuery names each series by the last value of another
// query; verticalLine marks a time. Pure functions over one request; any thread.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "query/evaluator.h"
#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/functions_support.h"
#include "query/py_regex.h"
#include "query/render_format.h"
#include "query/time_parser.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

Result<SeriesList> Unchanged(EvalContext&, std::vector<Value>& args) {
  return std::move(args[0].series);
}

// Renamed "func(name<suffix>)" and tagged; the path expression stays.
SeriesList Mark(SeriesList list, std::string_view func, std::string_view suffix,
                const std::string& tag) {
  for (Series& s : list) {
    s.tags[std::string(func)] = tag;
    s.name = fmt::format("{}({}{})", func, s.name, suffix);
  }
  return list;
}

Result<SeriesList> Dashed(EvalContext&, std::vector<Value>& args) {
  return Mark(std::move(args[0].series), "dashed", ", " + PyG(args[1].float_value),
              std::to_string(args[1].int_value));
}

Result<SeriesList> DrawAsInfinite(EvalContext&, std::vector<Value>& args) {
  return Mark(std::move(args[0].series), "drawAsInfinite", "", "1");
}

Result<SeriesList> SecondYAxis(EvalContext&, std::vector<Value>& args) {
  return Mark(std::move(args[0].series), "secondYAxis", "", "1");
}

Result<SeriesList> Stacked(EvalContext& ctx, std::vector<Value>& args) {
  const bool named = args[1].kind == Value::Kind::kString;
  const std::string stack = named ? args[1].string_value : "__DEFAULT__";
  std::vector<double>& total = ctx.total_stack[stack];
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    if (total.size() < s.values.size()) total.resize(s.values.size(), 0.0);
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (std::isnan(s.values[i])) continue;
      total[i] += s.values[i];
      s.values[i] = total[i];
    }
    if (!named) {
      s.tags["stacked"] = stack;
      s.name = "stacked(" + s.name + ")";
    }
    s.path_expression = s.name;
    s.values_per_point = 1;
  }
  return list;
}

Result<SeriesList> AreaBetween(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  if (list.size() != 2) {
    return Status::Error("areaBetween series argument must reference *exactly* 2 series");
  }
  list[1].tags["areaBetween"] = "1";
  list[0].tags = list[1].tags;
  list[0].name = list[1].name = "areaBetween(" + list[1].path_expression + ")";
  return list;
}

// str() of what getAggFunc(type)(series) returns: None, an int for count.
std::string AggText(AggFunc func, double value) {
  if (std::isnan(value)) return "None";
  if (func == AggFunc::kCount) return std::to_string(static_cast<int64_t>(value));
  return PyFloatRepr(value);
}

Result<SeriesList> LegendValue(EvalContext&, std::vector<Value>& args) {
  std::vector<std::string> types;
  for (const Value& v : args[1].items) types.push_back(v.string_value);
  if (types.empty()) return Status::Error("legendValue needs at least one value type");
  std::string system;
  if (types.back() == "si" || types.back() == "binary") {
    system = types.back();
    types.pop_back();
  }
  SeriesList list = std::move(args[0].series);
  for (const std::string& type : types) {
    AggFunc func;
    const bool known = ParseAggFunc(type, func, true);
    for (Series& s : list) {
      const double value = known ? ApplyAgg(func, ConsolidatedValues(s)) : NAN;
      if (system.empty()) {
        s.name += fmt::format(" ({}: {})", type, known ? AggText(func, value) : "(?)");
        continue;
      }
      std::string formatted = "None";
      if (!known) {
        formatted = "(?)";
      } else if (!std::isnan(value)) {
        const auto [scaled, prefix] = FormatUnits(value, system, "");
        formatted = PyFixed2(scaled) + prefix;
      }
      s.name = fmt::format("{:<20}{:<5}{:<10}", s.name, type, formatted);
    }
  }
  return list;
}

Result<SeriesList> CactiStyle(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  if (list.empty()) return list;
  const std::string system = args[1].string_value, units = args[2].string_value;
  auto format = [&](double x) {
    if (system.empty()) return units.empty() ? PyFixed2(x) : PyFixed2(x) + " " + units;
    const auto [scaled, prefix] = FormatUnits(x, system, units);
    return PyFixed2(scaled) + (units.empty() ? "" : " ") + prefix;
  };
  struct Stats {
    double last, max, min;
  };
  std::vector<Stats> stats;
  size_t name_len = 0, last_len = 0, max_len = 0, min_len = 0;
  auto width = [&](double v) {  // len(fmt(int(v or 3)))
    return format(std::trunc(std::isnan(v) || v == 0 ? 3 : v)).size();
  };
  for (const Series& s : list) {
    const std::vector<double> values = ConsolidatedValues(s);
    stats.push_back({ApplyAgg(AggFunc::kLast, values), ApplyAgg(AggFunc::kMax, values),
                     ApplyAgg(AggFunc::kMin, values)});
    name_len = std::max(name_len, s.name.size());
    last_len = std::max(last_len, width(stats.back().last));
    max_len = std::max(max_len, width(stats.back().max));
    min_len = std::max(min_len, width(stats.back().min));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    auto text = [&](double v) { return std::isnan(v) ? std::string("nan") : format(v); };
    list[i].name = fmt::format("{:<{}} Current:{:<{}} Max:{:<{}} Min:{:<{}} ", list[i].name,
                               name_len, text(stats[i].last), last_len + 3, text(stats[i].max),
                               max_len + 3, text(stats[i].min), min_len + 3);
  }
  return list;
}

// Python's `pattern % value` for one float conversion (%d %i %f %e %g %s %r,
// with flags, width and precision) and %% escapes.
Result<std::string> PyPercent(const std::string& pattern, double value) {
  std::string out;
  int conversions = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out.push_back(pattern[i]);
      continue;
    }
    const size_t spec_start = i++;
    while (i < pattern.size() &&
           std::string_view("-+ #0123456789.").find(pattern[i]) != std::string_view::npos) {
      ++i;
    }
    if (i >= pattern.size()) return Status::Error("incomplete format in newName");
    const char conv = pattern[i];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (++conversions > 1) return Status::Error("not enough arguments for format string");
    std::string spec = pattern.substr(spec_start, i - spec_start);
    char buf[512];
    if (conv == 'd' || conv == 'i' || conv == 'u') {
      if (!std::isfinite(value)) return Status::Error("cannot convert float NaN or inf to integer");
      std::snprintf(buf, sizeof(buf), (spec + "lld").c_str(), static_cast<long long>(value));
    } else if (std::string_view("feEgGF").find(conv) != std::string_view::npos) {
      std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), value);
    } else if (conv == 's' || conv == 'r') {
      std::snprintf(buf, sizeof(buf), (spec + 's').c_str(), PyFloatRepr(value).c_str());
    } else {
      return Status::Error(fmt::format("unsupported format character '{}'", conv));
    }
    out += buf;
  }
  if (conversions == 0)
    return Status::Error("not all arguments converted during string formatting");
  return out;
}

Result<SeriesList> AliasQuery(EvalContext& ctx, std::vector<Value>& args) {
  Result<PyRegex> search = PyRegex::Compile(args[1].string_value);
  if (!search.ok()) return search.status();
  if (ctx.evaluator == nullptr) return Status::Error("aliasQuery needs the evaluator");
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    Result<std::string> query = search->Sub(args[2].string_value, s.name);
    if (!query.ok()) return query.status();
    EvalContext sub = ctx;
    Result<SeriesList> found = ctx.evaluator->EvaluateTarget(*query, sub);
    ctx.points_read = sub.points_read;
    ctx.series_fetched = sub.series_fetched;
    ctx.over_budget = sub.over_budget;
    if (!found.ok()) return found.status();
    if (found->empty()) return Status::Error("No series found with query: " + *query);
    const double current = ApplyAgg(AggFunc::kLast, ConsolidatedValues((*found)[0]));
    if (std::isnan(current)) {
      return Status::Error("Cannot get last value of series: " + (*found)[0].name);
    }
    Result<std::string> name = PyPercent(args[3].string_value, current);
    if (!name.ok()) return name.status();
    s.name = *name;
  }
  return list;
}

Result<SeriesList> VerticalLine(EvalContext& ctx, std::vector<Value>& args) {
  const std::string text =
      args[0].kind == Value::Kind::kString ? args[0].string_value : PyNumber(args[0]);
  Result<int64_t> ts = ParseAtTime(text, ctx.now);
  if (!ts.ok()) return ts.status();
  if (*ts < ctx.from || *ts > ctx.until) {
    return Status::Error(fmt::format("verticalLine(): timestamp {} exists {} of range", *ts,
                                     *ts < ctx.from ? "before start" : "after end"));
  }
  // Two points a second apart ending where they start: one datapoint shows.
  Series s = MakeSeries(args[1].string_value, *ts, *ts, 1, {1.0, 1.0});
  s.x_files_factor = ctx.x_files_factor;
  return SeriesList{std::move(s)};
}

std::vector<std::string> LegendOptions() {
  std::vector<std::string> out;
  for (const std::string& name : AggFuncNames()) {
    out.push_back(name);
    out.push_back(name + "Series");
  }
  out.push_back("si");
  out.push_back("binary");
  return out;
}

}  // namespace

void RegisterGraphFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  auto add = [&r](std::string name, std::vector<Param> params, FunctionImpl impl, std::string group,
                  std::string description) {
    r.Add({std::move(name), std::move(params), impl, std::move(group), std::move(description)});
  };
  add("alpha", {series, {"alpha", ParamType::kFloat, true}}, &Unchanged, "Graph",
      "The series' opacity in a PNG (no change in JSON).");
  add("color", {series, {"theColor", ParamType::kString, true}}, &Unchanged, "Graph",
      "The series' color in a PNG (no change in JSON).");
  add("lineWidth", {series, {"width", ParamType::kFloat, true}}, &Unchanged, "Graph",
      "The series' line width in a PNG (no change in JSON).");
  add("dashed", {series, {"dashLength", ParamType::kInteger, false, {}, "5"}}, &Dashed, "Graph",
      "Draws the series dashed (renamed dashed(name, length)).");
  add("drawAsInfinite", {series}, &DrawAsInfinite, "Graph",
      "Draws non-zero values as vertical lines (renamed drawAsInfinite(name)).");
  add("secondYAxis", {series}, &SecondYAxis, "Graph",
      "Draws the series on the right Y axis (renamed secondYAxis(name)).");
  add("stacked", {series, {"stack", ParamType::kString}}, &Stacked, "Graph",
      "Stacks the series: each value is the running total of its stack at that point.");
  add("areaBetween", {series}, &AreaBetween, "Graph",
      "Fills the area between exactly two series (both renamed areaBetween(...)).");
  add("legendValue",
      {series, {"valuesTypes", ParamType::kString, false, LegendOptions(), {}, true}}, &LegendValue,
      "Alias", "Appends the aggregates of each series to its name (si/binary: with units).");
  add("cactiStyle",
      {series,
       {"system", ParamType::kString, false, {"si", "binary"}},
       {"units", ParamType::kString}},
      &CactiStyle, "Special", "Names each series with its current, maximum and minimum values.");
  add("verticalLine",
      {{"ts", ParamType::kDate, true},
       {"label", ParamType::kString},
       {"color", ParamType::kString}},
      &VerticalLine, "Graph", "A vertical line at the time ts, named by the label.");
  add("aliasQuery",
      {series,
       {"search", ParamType::kString, true},
       {"replace", ParamType::kString, true},
       {"newName", ParamType::kString, true}},
      &AliasQuery, "Alias",
      "Names each series by newName % the last value of the query re.sub(search, replace, "
      "name).");
}

}  // namespace hourglass::query
