// The flags that choose `rlm bench`'s tasks, and the plan they come to with the [bench]
// config. Each parser throws Fatal (usage) with the flag's name and an example.
#pragma once

#include "rlm/bench/runner.hpp"
#include "rlm/config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlm::cli {

struct PlanOptions {
  std::string suite; // a suite's name, or "all"
  std::string lengths;
  std::string positions;
  std::optional<std::int64_t> trials;
  std::optional<std::int64_t> seed;
  std::string methods;
  std::optional<std::int64_t> jobs;
  std::string label;
};

// `--lengths`: a doubling range or a list, each from 1k to 64m tokens.
std::vector<std::int64_t> parse_lengths(const std::string& text);

// The plan of `o`, each flag not given taken from `cfg.bench`, without repeats.
bench::Plan make_plan(const PlanOptions& o, const config::Config& cfg);

} // namespace rlm::cli
