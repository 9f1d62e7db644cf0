// The "Alias" group: functions that rename series (graphite-web 1.1
// semantics; tags are left as they are).
#include "query/function_registry.h"
#include "query/functions_common.h"
#include "query/py_regex.h"

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

Result<SeriesList> Alias(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) s.name = args[1].string_value;
  return list;
}

Result<SeriesList> AliasSub(EvalContext&, std::vector<Value>& args) {
  Result<PyRegex> regex = PyRegex::Compile(args[1].string_value);
  if (!regex.ok()) return regex.status();
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    Result<std::string> name = regex->Sub(args[2].string_value, s.name);
    if (!name.ok()) return Status::Error("aliasSub: " + name.status().message());
    s.name = std::move(*name);
  }
  return list;
}

Result<SeriesList> AliasByNode(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) s.name = AggKey(s, args[1].items);
  return list;
}

// substr(seriesList, -1): the last node of the innermost name, cut at ','.
Result<SeriesList> AliasByMetric(EvalContext&, std::vector<Value>& args) {
  SeriesList list = std::move(args[0].series);
  for (Series& s : list) {
    const std::string& name = s.name;
    const size_t left = name.rfind('(') == std::string::npos ? 0 : name.rfind('(') + 1;
    const size_t right = std::min(name.find(')'), name.size());
    const std::string clean = right > left ? name.substr(left, right - left) : "";
    std::string last =
        clean.substr(clean.rfind('.') == std::string::npos ? 0 : clean.rfind('.') + 1);
    s.name = last.substr(0, last.find(','));
  }
  return list;
}

}  // namespace

void RegisterAliasFunctions(FunctionRegistry& r) {
  const Param series{"seriesList", ParamType::kSeriesList, true};
  r.Add({"alias",
         {series, {"newName", ParamType::kString, true}},
         &Alias,
         "Alias",
         "Takes one metric or a wildcard seriesList and a string; every series is renamed to the "
         "string."});
  r.Add({"aliasSub",
         {series, {"search", ParamType::kString, true}, {"replace", ParamType::kString, true}},
         &AliasSub,
         "Alias",
         "Runs a regular expression search and replace (Python syntax, \\1 back-references) on "
         "each series name."});
  r.Add({"aliasByNode",
         {series, {"nodes", ParamType::kNodeOrTag, true, {}, {}, true}},
         &AliasByNode,
         "Alias",
         "Names each series by the given nodes of its path (negative counts from the end) or tag "
         "values, joined by dots."});
  r.Add({"aliasByTags",
         {series, {"tags", ParamType::kNodeOrTag, true, {}, {}, true}},
         &AliasByNode,
         "Alias",
         "Names each series by the given tag values (or nodes), joined by "
         "dots."});
  r.Add({"aliasByMetric",
         {series},
         &AliasByMetric,
         "Alias",
         "Names each series by the last node of its metric path."});
}

}  // namespace hourglass::query
