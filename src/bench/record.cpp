#include "rlm/bench/record.hpp"

#include "rlm/util/untrusted_json.hpp"

#include <cmath>

namespace rlm::bench {

namespace {

using nlohmann::json;

json tokens_json(const TokenCount& t) {
  return {
      {"calls", t.calls}, {"prompt", t.prompt}, {"cached", t.cached}, {"completion", t.completion}};
}

constexpr std::int64_t k_max_count = std::int64_t{1} << 50; // sums can never overflow

std::string text_field(const json& j, std::string_view name, const char* otherwise = "") {
  const auto* text = json_field::string(j, name);
  return text != nullptr ? *text : otherwise;
}

// A whole-number field, or 0 when it is missing or not a whole number in range.
std::int64_t int_field(const json& j, std::string_view name) {
  return json_field::integer(j, name, -k_max_count, k_max_count).value_or(0);
}

// Token counts: whole numbers from 0 to 2^50; -1 (refused below) for anything else.
TokenCount tokens_from(const json* j) {
  TokenCount t;
  if (j == nullptr) return t;
  const auto count = [&](std::string_view name) {
    return json_field::integer(*j, name, 0, k_max_count).value_or(-1);
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
  const auto* type = json_field::string(j, "type");
  const auto* key = json_field::string(j, "key");
  const auto* suite = json_field::string(j, "suite");
  const auto* method = json_field::string(j, "method");
  const auto length = json_field::integer(j, "length_tokens", 1, k_max_count);
  const auto score = json_field::number(j, "score");
  if (type == nullptr || *type != "task" || key == nullptr || key->empty() || suite == nullptr ||
      suite->empty() || method == nullptr || method->empty() || !length || !score || *score < 0 ||
      *score > 1)
    return std::nullopt;
  TaskRecord r;
  r.key = *key;
  r.suite = *suite;
  r.method = *method;
  r.length_tokens = *length;
  r.position = json_field::number(j, "position");
  r.trial = int_field(j, "trial");
  r.seed = int_field(j, "seed");
  r.model = text_field(j, "model");
  r.label = text_field(j, "label");
  r.document_chars = int_field(j, "document_chars");
  r.query = text_field(j, "query");
  r.expected = text_field(j, "expected");
  r.answer = text_field(j, "answer");
  r.scorer = text_field(j, "scorer");
  r.score = *score;
  r.status = text_field(j, "status", "ok");
  r.error = text_field(j, "error");
  r.stop = text_field(j, "stop");
  r.iterations = int_field(j, "iterations");
  r.sub_calls = int_field(j, "sub_calls");
  if (const auto* tokens = json_field::object(j, "tokens")) {
    r.root = tokens_from(json_field::object(*tokens, "root"));
    r.sub = tokens_from(json_field::object(*tokens, "sub"));
  }
  r.cost = json_field::number(j, "cost");
  r.seconds = json_field::number(j, "seconds").value_or(0);
  r.finished_at = text_field(j, "finished_at");
  for (const auto* t : {&r.root, &r.sub}) {
    for (const auto n : {t->calls, t->prompt, t->cached, t->completion})
      if (n < 0) return std::nullopt;
  }
  if (r.seconds < 0) return std::nullopt;
  return r;
}

} // namespace rlm::bench
