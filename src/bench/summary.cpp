#include "rlm/bench/summary.hpp"

#include "rlm/bench/suites.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/length_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace rlm::bench {

namespace {

// Known suites in their documented order, then others by name.
std::size_t suite_rank(const std::string& suite) {
  const auto all = suites();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].name == suite) return i;
  return all.size();
}

std::string tokens_text(double tokens) {
  if (tokens >= 1e6) return fmt::format("{:.2f}M", tokens / 1e6);
  if (tokens >= 1e4) return fmt::format("{:.0f}k", tokens / 1e3);
  if (tokens >= 1e3) return fmt::format("{:.1f}k", tokens / 1e3);
  return fmt::format("{:.0f}", tokens);
}

// Rows are grouped by suite (in documented order), method, model and length.
using Group = std::tuple<std::size_t, std::string, Method, std::string, std::int64_t>;

// The means of one group's records (`members` is never empty).
SummaryRow group_row(const Group& group, const std::vector<const TaskRecord*>& members) {
  SummaryRow row;
  row.suite = std::get<1>(group);
  row.method = config::to_string(std::get<2>(group));
  row.model = std::get<3>(group);
  row.length_tokens = std::get<4>(group);
  row.tasks = static_cast<std::int64_t>(members.size());
  double score = 0;
  double root = 0;
  double sub = 0;
  double seconds = 0;
  double cost = 0;
  std::int64_t priced = 0;
  for (const auto* r : members) {
    score += r->score;
    root += static_cast<double>(r->root.total());
    sub += static_cast<double>(r->sub.total());
    seconds += r->seconds;
    if (r->status == Status::truncated) ++row.truncated;
    if (r->status == Status::error) ++row.errors;
    if (r->cost) {
      cost += *r->cost;
      ++priced;
    }
  }
  const auto n = static_cast<double>(members.size());
  row.accuracy = score / n;
  row.mean_root_tokens = root / n;
  row.mean_sub_tokens = sub / n;
  row.mean_seconds = seconds / n;
  if (priced > 0) row.mean_cost = cost / static_cast<double>(priced);
  return row;
}

} // namespace

Summary summarize(const std::vector<TaskRecord>& records) {
  // The last record of each key: a rerun's result replaces an earlier one.
  std::map<std::string, const TaskRecord*> latest;
  for (const auto& r : records) latest[r.key] = &r;

  // Several models (report over several files) are kept apart, never averaged together.
  std::map<Group, std::vector<const TaskRecord*>> groups;
  std::set<std::string> labels;
  std::set<std::string> models;
  for (const auto& [key, r] : latest) {
    groups[{suite_rank(r->suite), r->suite, r->method, r->model, r->length_tokens}].push_back(r);
    if (!r->label.empty()) labels.insert(r->label);
    if (!r->model.empty()) models.insert(r->model);
  }

  Summary summary;
  summary.labels.assign(labels.begin(), labels.end());
  summary.models.assign(models.begin(), models.end());
  for (const auto& [group, members] : groups) {
    auto row = group_row(group, members);
    if (models.size() > 1) row.method = fmt::format("{} ({})", row.method, row.model);
    summary.rows.push_back(row);
  }
  return summary;
}

std::string render_table(const Summary& summary) {
  if (summary.rows.empty()) return "no finished tasks\n";
  std::string out;
  if (!summary.labels.empty()) {
    std::vector<std::string> shown;
    for (const auto& l : summary.labels) shown.push_back(printable(l, 200));
    out += fmt::format("label: {}\n", fmt::join(shown, "; "));
  }
  if (!summary.models.empty()) {
    std::vector<std::string> shown;
    for (const auto& m : summary.models) shown.push_back(printable(m, 200));
    out += fmt::format("model: {}\n", fmt::join(shown, "; "));
  }
  const bool any_cost = std::any_of(summary.rows.begin(), summary.rows.end(),
                                    [](const auto& r) { return r.mean_cost.has_value(); });
  std::size_t method_width = 8;
  for (const auto& row : summary.rows)
    method_width = std::max(method_width, printable(row.method, 48).size());
  std::string suite;
  for (const auto& row : summary.rows) {
    if (row.suite != suite) {
      suite = row.suite;
      out += fmt::format("\n{}\n{:>7}  {:<{}} {:>5} {:>9} {:>9} {:>6} {:>10} {:>10} {:>8}{}\n",
                         printable(suite, 60), "length", "method", method_width, "tasks",
                         "accuracy", "truncated", "errors", "root tok", "sub tok", "seconds",
                         any_cost ? "       cost" : "");
    }
    out += fmt::format("{:>7}  {:<{}} {:>5} {:>8.1f}% {:>9} {:>6} {:>10} {:>10} {:>8.1f}{}\n",
                       format_length(row.length_tokens), printable(row.method, 48), method_width,
                       row.tasks, row.accuracy * 100, row.truncated, row.errors,
                       tokens_text(row.mean_root_tokens), tokens_text(row.mean_sub_tokens),
                       row.mean_seconds,
                       !any_cost       ? std::string()
                       : row.mean_cost ? fmt::format(" {:>10.4f}", *row.mean_cost)
                                       : fmt::format(" {:>10}", "-"));
  }
  out += "\ntokens, seconds and cost are means per task; accuracy is the mean score (0-100%)\n";
  return out;
}

} // namespace rlm::bench
