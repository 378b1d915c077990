#include "rlm/bench/record.hpp"

#include <cmath>

namespace rlm::bench {

namespace {

using nlohmann::json;

json tokens_json(const TokenCount& t) {
  return {
      {"calls", t.calls}, {"prompt", t.prompt}, {"cached", t.cached}, {"completion", t.completion}};
}

// A whole-number field, or 0 when it is missing or not a whole number.
std::int64_t int_field(const json& j, const char* name) {
  return j.contains(name) && j[name].is_number_integer() ? j[name].get<std::int64_t>() : 0;
}

TokenCount tokens_from(const json& j) {
  TokenCount t;
  if (!j.is_object()) return t;
  const auto count = [&](const char* name) {
    // Whole numbers only: a float like 1e300 has no int64 value.
    return j.contains(name) && j[name].is_number_integer() ? j[name].get<std::int64_t>() : -1;
  };
  t.calls = count("calls");
  t.prompt = count("prompt");
  t.cached = count("cached");
  t.completion = count("completion");
  return t;
}

} // namespace

json to_json(const TaskRecord& r) {
  json j = {{"type", "task"},
            {"key", r.key},
            {"suite", r.suite},
            {"method", r.method},
            {"length_tokens", r.length_tokens},
            {"position", r.position ? json(*r.position) : json(nullptr)},
            {"trial", r.trial},
            {"seed", r.seed},
            {"model", r.model},
            {"label", r.label},
            {"document_chars", r.document_chars},
            {"query", r.query},
            {"expected", r.expected},
            {"answer", r.answer},
            {"scorer", r.scorer},
            {"score", r.score},
            {"status", r.status},
            {"error", r.error},
            {"stop", r.stop},
            {"iterations", r.iterations},
            {"sub_calls", r.sub_calls},
            {"tokens", {{"root", tokens_json(r.root)}, {"sub", tokens_json(r.sub)}}},
            {"cost", r.cost ? json(*r.cost) : json(nullptr)},
            {"seconds", r.seconds},
            {"finished_at", r.finished_at}};
  return j;
}

std::optional<TaskRecord> record_from_json(const json& j) {
  // A stranger's file: any field may be missing, of the wrong type, or out of range.
  if (!j.is_object() || !j.contains("type") || j["type"] != "task") return std::nullopt;
  try {
    TaskRecord r;
    r.key = j.at("key").get<std::string>();
    r.suite = j.at("suite").get<std::string>();
    r.method = j.at("method").get<std::string>();
    if (!j.at("length_tokens").is_number_integer()) return std::nullopt;
    r.length_tokens = j["length_tokens"].get<std::int64_t>();
    if (j.contains("position") && j["position"].is_number())
      r.position = j["position"].get<double>();
    r.trial = int_field(j, "trial");
    r.seed = int_field(j, "seed");
    r.model = j.value("model", "");
    r.label = j.value("label", "");
    r.document_chars = int_field(j, "document_chars");
    r.query = j.value("query", "");
    r.expected = j.value("expected", "");
    r.answer = j.value("answer", "");
    r.scorer = j.value("scorer", "");
    r.score = j.at("score").get<double>();
    r.status = j.value("status", "ok");
    r.error = j.value("error", "");
    r.stop = j.value("stop", "");
    r.iterations = int_field(j, "iterations");
    r.sub_calls = int_field(j, "sub_calls");
    if (j.contains("tokens") && j["tokens"].is_object()) {
      r.root = tokens_from(j["tokens"].value("root", json()));
      r.sub = tokens_from(j["tokens"].value("sub", json()));
    }
    if (j.contains("cost") && j["cost"].is_number()) r.cost = j["cost"].get<double>();
    r.seconds = j.value("seconds", 0.0);
    r.finished_at = j.value("finished_at", "");
    constexpr std::int64_t k_max_tokens = std::int64_t{1} << 50; // sums can never overflow
    for (const auto* t : {&r.root, &r.sub}) {
      for (const auto n : {t->calls, t->prompt, t->cached, t->completion})
        if (n < 0 || n > k_max_tokens) return std::nullopt;
    }
    if (r.key.empty() || r.suite.empty() || r.method.empty() || r.length_tokens <= 0 ||
        r.length_tokens > k_max_tokens || r.seconds < 0 || (r.cost && !std::isfinite(*r.cost)) ||
        !std::isfinite(r.score) || r.score < 0 || r.score > 1 || !std::isfinite(r.seconds))
      return std::nullopt;
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

} // namespace rlm::bench
