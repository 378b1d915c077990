#include "rlm/bench/record.hpp"

#include <cmath>

namespace rlm::bench {

namespace {

using nlohmann::json;

json tokens_json(const TokenCount& t) {
  return {
      {"calls", t.calls}, {"prompt", t.prompt}, {"cached", t.cached}, {"completion", t.completion}};
}

TokenCount tokens_from(const json& j) {
  TokenCount t;
  if (!j.is_object()) return t;
  t.calls = j.value("calls", std::int64_t{0});
  t.prompt = j.value("prompt", std::int64_t{0});
  t.cached = j.value("cached", std::int64_t{0});
  t.completion = j.value("completion", std::int64_t{0});
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
  // A stranger's file: any field may be missing or of the wrong type.
  if (!j.is_object() || j.value("type", "") != "task") return std::nullopt;
  try {
    TaskRecord r;
    r.key = j.at("key").get<std::string>();
    r.suite = j.at("suite").get<std::string>();
    r.method = j.at("method").get<std::string>();
    r.length_tokens = j.at("length_tokens").get<std::int64_t>();
    if (j.contains("position") && j["position"].is_number())
      r.position = j["position"].get<double>();
    r.trial = j.value("trial", std::int64_t{0});
    r.seed = j.value("seed", std::int64_t{0});
    r.model = j.value("model", "");
    r.label = j.value("label", "");
    r.document_chars = j.value("document_chars", std::int64_t{0});
    r.query = j.value("query", "");
    r.expected = j.value("expected", "");
    r.answer = j.value("answer", "");
    r.scorer = j.value("scorer", "");
    r.score = j.at("score").get<double>();
    r.status = j.value("status", "ok");
    r.error = j.value("error", "");
    r.stop = j.value("stop", "");
    r.iterations = j.value("iterations", std::int64_t{0});
    r.sub_calls = j.value("sub_calls", std::int64_t{0});
    if (j.contains("tokens") && j["tokens"].is_object()) {
      r.root = tokens_from(j["tokens"].value("root", json()));
      r.sub = tokens_from(j["tokens"].value("sub", json()));
    }
    if (j.contains("cost") && j["cost"].is_number()) r.cost = j["cost"].get<double>();
    r.seconds = j.value("seconds", 0.0);
    r.finished_at = j.value("finished_at", "");
    if (r.key.empty() || r.suite.empty() || r.method.empty() || r.length_tokens <= 0 ||
        !std::isfinite(r.score) || r.score < 0 || r.score > 1 || !std::isfinite(r.seconds))
      return std::nullopt;
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

} // namespace rlm::bench
