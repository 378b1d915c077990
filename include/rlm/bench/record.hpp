// One finished bench task, as one JSON line of a results file. The key names the task
// (suite, method, length, position, trial, seed, model), so a rerun can skip what is done.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/util/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rlm::bench {

using Method = config::BenchMethod; // defined with the config key that names it

// How a task ended, as `status` in its record.
enum class Status {
  ok,        // the method answered (the answer may still be wrong)
  truncated, // the document did not fit the model's context, or the server cut the prompt
  error,     // the run ended without an answer for another reason
};

// "ok", "truncated", "error": the spelling in results files.
const char* to_string(Status status);
// The status spelled `name`, or nothing.
std::optional<Status> parse_status(std::string_view name);

struct TokenCount {
  std::int64_t calls = 0;
  std::int64_t prompt = 0;
  std::int64_t cached = 0;
  std::int64_t completion = 0;
  std::int64_t total() const { return prompt + completion; }
};

struct TaskRecord {
  std::string key;
  std::string suite;
  Method method = Method::rlm;
  std::int64_t length_tokens = 0;
  std::optional<double> position; // where the facts sit, 0..1; none for aggregate tasks
  std::int64_t trial = 0;
  std::int64_t seed = 0;
  std::string model; // the root model
  std::string label; // --label: e.g. that the model was scripted
  std::int64_t document_chars = 0;
  std::string query;
  std::string expected;
  std::string answer;
  std::string scorer; // "exact", "contains", "numeric", "set_f1"
  double score = 0;   // 0..1
  Status status = Status::ok;
  std::string error;
  std::string stop; // the loop's stop reason
  std::int64_t iterations = 0;
  std::int64_t sub_calls = 0;
  TokenCount root;
  TokenCount sub;
  std::optional<double> cost;
  double seconds = 0;
  std::string finished_at; // UTC, ISO 8601
};

nlohmann::json to_json(const TaskRecord& record);
// A record from one line of a results file, or an input Error saying why the line is not a
// record (a field missing, of the wrong type or out of range; an unknown method or status).
// A record without `status` (no such line is written now) is `ok`.
Result<TaskRecord> record_from_json(const nlohmann::json& line);

} // namespace rlm::bench
