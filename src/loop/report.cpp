#include "rlm/loop/report.hpp"

namespace rlm::loop {

using nlohmann::json;

json to_json(const providers::Usage& usage) {
  json out = {{"prompt_tokens", usage.prompt_tokens},
              {"cached_tokens", usage.cached_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"reasoning_tokens", usage.reasoning_tokens}};
  if (usage.reasoning_estimated) out["reasoning_tokens_estimated"] = true;
  return out;
}

json to_json(const providers::Tally& tally) {
  const auto cost = tally.cost();
  json out = {{"calls", tally.calls},
              {"failures", tally.failures},
              {"prompt_tokens", tally.prompt_tokens},
              {"cached_tokens", tally.cached_tokens},
              {"completion_tokens", tally.completion_tokens},
              {"reasoning_tokens", tally.reasoning_tokens},
              {"seconds", tally.seconds},
              {"cost", cost ? json(*cost) : json(nullptr)},
              {"cost_partial", tally.cost_partial()}};
  if (tally.cache_hits > 0) out["cache_hits"] = tally.cache_hits;
  return out;
}

namespace {

json cost_json(const std::optional<double>& cost) { return cost ? json(*cost) : json(nullptr); }

} // namespace

json to_json(const SubCallRecord& r) {
  json out = {{"id", r.id},
              {"prompt_chars", r.prompt_chars},
              {"answer_chars", r.answer_chars},
              {"prompt", r.prompt},
              {"answer", r.answer},
              {"provider", r.provider},
              {"usage", to_json(r.usage)},
              {"cost", cost_json(r.cost)},
              {"attempts", r.attempts},
              {"seconds", r.seconds},
              {"nested", r.nested}};
  if (r.prompt_cut > 0) out["prompt_cut"] = r.prompt_cut;
  if (r.answer_cut > 0) out["answer_cut"] = r.answer_cut;
  if (!r.error.empty()) out["error"] = r.error;
  if (r.error_kind) out["error_kind"] = providers::to_string(*r.error_kind);
  if (r.prompt_truncated) out["prompt_truncated"] = true;
  if (r.cut_short) out["cut_short"] = true;
  if (r.reasoning_chars > 0) out["reasoning_chars"] = r.reasoning_chars;
  if (r.parts > 0) out["parts"] = r.parts;
  if (r.cached) out["cached"] = true;
  return out;
}

json to_json(const IterationRecord& r) {
  json cells = json::array();
  for (const auto& c : r.cells) {
    cells.push_back({{"code", c.code},
                     {"output", c.output},
                     {"error", c.error_kind ? json(lua::to_string(*c.error_kind)) : json(nullptr)},
                     {"error_message", c.error_kind ? json(c.error_message) : json(nullptr)},
                     {"seconds", c.seconds},
                     {"final", c.set_final}});
  }
  json sub_calls = json::array();
  for (const auto& s : r.sub_calls) sub_calls.push_back(to_json(s));
  json out = {{"type", "iteration"},
              {"run", r.run},
              {"number", r.number},
              {"depth", r.depth},
              {"reply", r.reply},
              {"provider", r.provider},
              {"usage", to_json(r.usage)},
              {"cost", cost_json(r.cost)},
              {"attempts", r.attempts},
              {"model_seconds", r.model_seconds},
              {"prompt_truncated", r.prompt_truncated},
              {"cells", cells},
              {"sub_calls", sub_calls},
              {"notes", r.notes},
              {"feedback", r.feedback},
              {"seconds", r.seconds}};
  if (r.stream_stopped) {
    out["stream_stopped"] = {{"at_char", r.stream_stopped->at_char},
                             {"dropped", r.stream_stopped->dropped},
                             {"usage_estimated", true}};
  }
  if (!r.compactions.empty()) {
    json compactions = json::array();
    for (const auto& c : r.compactions) {
      compactions.push_back({{"reason", c.reason},
                             {"limit_chars", c.limit_chars},
                             {"chars_before", c.chars_before},
                             {"chars_after", c.chars_after},
                             {"turns_compacted", c.turns_compacted},
                             {"turns_dropped", c.turns_dropped},
                             {"fits", c.fits}});
    }
    out["compactions"] = std::move(compactions);
  }
  if (r.reasoning_chars > 0) {
    out["reasoning"] = r.reasoning;
    out["reasoning_chars"] = r.reasoning_chars;
  }
  if (r.cached) out["cached"] = true;
  return out;
}

json to_json(const RequestRecord& r) {
  json messages = json::array();
  for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  return {{"type", "request"},        {"run", r.run},   {"depth", r.depth},
          {"iteration", r.iteration}, {"keep", r.keep}, {"messages", std::move(messages)},
          {"count", r.count}};
}

json to_json(const StartInfo& info) {
  json out = {{"type", "start"},
              {"run", info.run},
              {"mode", to_string(info.mode)},
              {"depth", info.depth},
              {"system_prompt", info.system_prompt},
              {"first_message", info.first_message}};
  if (info.parent) {
    out["parent_run"] = info.parent->run;
    out["parent_iteration"] = info.parent->iteration;
    out["parent_sub_call"] = info.parent->sub_call;
  }
  return out;
}

namespace {

// The budgets the user set: {"max_tokens": {"limit": 50000, "used": 51230}, ...}.
json budgets_json(const std::vector<BudgetUse>& uses) {
  json out = json::object();
  for (const auto& use : uses) {
    const auto value = [&](double x) { // tokens are whole numbers
      return use.budget == StopReason::max_tokens ? json(static_cast<std::int64_t>(x)) : json(x);
    };
    out[to_string(use.budget)] = {{"limit", value(use.limit)}, {"used", value(use.used)}};
  }
  return out;
}

} // namespace

json to_json(const RunResult& result, const providers::UsageReport& usage) {
  json providers = json::array();
  for (const auto& p : usage.providers) {
    auto line = to_json(p.tally);
    line["name"] = p.name;
    providers.push_back(line);
  }
  return {{"answer", result.answer ? json(*result.answer) : json(nullptr)},
          {"mode", to_string(result.mode)},
          {"stop_reason", to_string(result.stop)},
          {"message", result.message},
          {"iterations", result.iterations},
          {"sub_calls", result.sub_calls},
          {"sub_calls_failed", result.sub_calls_failed},
          {"sub_call_errors", result.sub_call_errors},
          {"answer_cut_short", result.answer_cut_short},
          {"answer_finish_reason", result.answer_finish_reason},
          {"budgets", budgets_json(result.budgets)},
          {"seconds", result.seconds},
          {"usage",
           {{"root", to_json(usage.root)},
            {"sub", to_json(usage.sub)},
            {"total", to_json(usage.total)}}},
          {"providers", providers}};
}

} // namespace rlm::loop
