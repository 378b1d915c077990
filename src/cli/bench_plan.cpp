#include "bench_plan.hpp"

#include "run_overrides.hpp"

#include "fatal.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/length_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace rlm::cli {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    auto item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

double parse_position(const std::string& item) {
  double value = -1;
  const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (error != std::errc() || end != item.data() + item.size() || !std::isfinite(value) ||
      value < 0 || value > 1) {
    throw Fatal(
        ExitCode::usage,
        fmt::format("--positions: '{}' is not a position between 0 and 1", printable(item, 40)),
        "give fractions of the document, e.g. --positions 0.1,0.5,0.9");
  }
  return value;
}

std::vector<double> parse_positions(const std::string& text) {
  std::vector<double> positions;
  for (const auto& item : split_list(text)) positions.push_back(parse_position(item));
  if (positions.empty()) {
    throw Fatal(ExitCode::usage, "--positions is empty", "e.g. --positions 0.1,0.5,0.9");
  }
  return positions;
}

std::vector<bench::Method> parse_methods(const std::string& text) {
  std::vector<bench::Method> methods;
  for (const auto& name : split_list(text)) {
    const auto method = config::parse_bench_method(name);
    if (!method) {
      throw Fatal(ExitCode::usage,
                  fmt::format("--methods: unknown method '{}'", printable(name, 40)),
                  "the methods are rlm and vanilla, e.g. --methods rlm,vanilla");
    }
    methods.push_back(*method);
  }
  if (methods.empty()) throw Fatal(ExitCode::usage, "--methods is empty", "e.g. --methods rlm");
  return methods;
}

// `items` without repeats, in their first order: "4k,4k" is one length, not two tasks with
// one key.
template <typename T> std::vector<T> unique_in_order(const std::vector<T>& items) {
  std::vector<T> out;
  for (const auto& item : items)
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  return out;
}

std::vector<std::string> suites_of(const std::string& suite) {
  return suite == "all" ? bench::suite_names() : std::vector{suite};
}

} // namespace

std::vector<std::int64_t> parse_lengths(const std::string& text) {
  const auto lengths = parse_length_spec(text);
  if (!lengths) {
    throw Fatal(ExitCode::usage, fmt::format("--lengths: {}", lengths.error()),
                "e.g. --lengths 4k..128k (doubling) or --lengths 4k,32k,1m (tokens)");
  }
  for (const auto n : *lengths) {
    if (n < 1024) {
      throw Fatal(ExitCode::usage,
                  fmt::format("--lengths: {} tokens is too short for a bench document", n),
                  "use lengths of 1k tokens or more");
    }
    if (n > 64LL * 1024 * 1024) {
      throw Fatal(ExitCode::usage,
                  fmt::format("--lengths: {} is over the limit of 64m tokens", format_length(n)),
                  "use shorter lengths");
    }
  }
  return *lengths;
}

bench::Plan make_plan(const PlanOptions& o, const config::Config& cfg) {
  bench::Plan plan;
  plan.suites = suites_of(o.suite);
  plan.lengths = unique_in_order(parse_lengths(o.lengths.empty() ? cfg.bench.lengths : o.lengths));
  plan.positions =
      unique_in_order(o.positions.empty() ? cfg.bench.positions : parse_positions(o.positions));
  plan.trials = o.trials.value_or(cfg.bench.trials);
  plan.seed = o.seed.value_or(cfg.bench.seed);
  plan.methods = unique_in_order(o.methods.empty() ? cfg.bench.methods : parse_methods(o.methods));
  plan.jobs = o.jobs.value_or(cfg.bench.jobs);
  plan.model = root_models(cfg);
  plan.label = o.label;
  return plan;
}

} // namespace rlm::cli
