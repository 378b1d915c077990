// Helpers for bench tests: a finished record with every field a summary reads set.
#pragma once

#include "rlm/bench/record.hpp"

#include <cstdint>
#include <string>

namespace rlm::bench::testing {

// A niah record of `method` at `length` tokens that scored `score`, 1050 root and 3030 sub
// tokens, 2 seconds, model "m", label "scripted".
inline TaskRecord record(const std::string& key, Method method, std::int64_t length, double score) {
  TaskRecord r;
  r.key = key;
  r.suite = "niah";
  r.method = method;
  r.length_tokens = length;
  r.position = 0.5;
  r.score = score;
  r.root = {2, 1000, 100, 50};
  r.sub = {3, 3000, 0, 30};
  r.seconds = 2;
  r.label = "scripted";
  r.model = "m";
  return r;
}

} // namespace rlm::bench::testing
