// What a set of bench results comes to: one row per suite, method and length, with mean
// score, tokens, time and cost. `rlm bench` prints it after a run; `rlm bench report`
// reprints it from result files and draws it (chart.hpp).
#pragma once

#include "rlm/bench/record.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlm::bench {

struct SummaryRow {
  std::string suite;  // "niah", "multifact", "aggregate", "multihop"
  std::string method; // as shown: "rlm", or "rlm (model)" when the records hold several models
  std::string model;  // the root model
  std::int64_t length_tokens = 0;
  std::int64_t tasks = 0;
  double accuracy = 0;        // mean score over the tasks, 0..1
  std::int64_t truncated = 0; // the document did not fit the model, or the server cut it (scored 0)
  std::int64_t errors = 0;    // tasks that ended with another error (scored 0)
  double mean_root_tokens = 0;     // prompt + completion tokens of root calls, per task
  double mean_sub_tokens = 0;      // the same for sub-calls
  double mean_seconds = 0;         // wall time per task
  std::optional<double> mean_cost; // per task, when the config gives prices
};

struct Summary {
  std::vector<std::string> labels; // the distinct `label`s of the records ("" dropped)
  std::vector<std::string> models; // the distinct root models
  std::vector<SummaryRow> rows;    // ordered by suite, method (rlm first), model, length
};

// Groups `records` (the last record of each key wins).
Summary summarize(const std::vector<TaskRecord>& records);

// The table as plain text, one block per suite, for a terminal or a log.
std::string render_table(const Summary& summary);

} // namespace rlm::bench
