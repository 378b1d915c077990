#include "frames.hpp"

#include "rlm/util/untrusted_json.hpp"

#include <algorithm>
#include <utility>

namespace rlm::lua::frames {

using nlohmann::json;

namespace {

constexpr std::int64_t k_max_bytes_limit = std::int64_t{1} << 50;

std::optional<double> seconds(const json& frame, std::string_view key) {
  const auto value = json_field::number(frame, key);
  if (!value || *value < 0 || *value > 1e9) return std::nullopt;
  return value;
}

std::uint64_t count(const json& frame, std::string_view key) {
  return static_cast<std::uint64_t>(json_field::count(frame, key).value_or(0));
}

CellError::Kind error_kind(const std::string* name) {
  static const std::pair<std::string_view, CellError::Kind> kinds[] = {
      {"syntax", CellError::Kind::syntax},
      {"runtime", CellError::Kind::runtime},
      {"timeout", CellError::Kind::timeout},
      {"memory", CellError::Kind::memory},
      {"too_large", CellError::Kind::too_large}};
  for (const auto& [text, kind] : kinds) {
    if (name != nullptr && *name == text) return kind;
  }
  return CellError::Kind::runtime;
}

} // namespace

json to_json(const Limits& limits) {
  return {{"cell_timeout_seconds", limits.cell_timeout_seconds},
          {"memory_limit_bytes", limits.memory_limit_bytes},
          {"max_output_bytes", limits.max_output_bytes},
          {"max_source_bytes", limits.max_source_bytes},
          {"max_error_bytes", limits.max_error_bytes}};
}

Limits limits_from(const json& init) {
  Limits limits;
  const auto* given = json_field::object(init, "limits");
  if (given == nullptr) return limits;
  if (const auto t = seconds(*given, "cell_timeout_seconds"); t && *t > 0)
    limits.cell_timeout_seconds = *t;
  const auto bytes = [&](std::string_view key, std::int64_t& out) {
    if (const auto v = json_field::integer(*given, key, 1, k_max_bytes_limit)) out = *v;
  };
  bytes("memory_limit_bytes", limits.memory_limit_bytes);
  bytes("max_output_bytes", limits.max_output_bytes);
  bytes("max_source_bytes", limits.max_source_bytes);
  bytes("max_error_bytes", limits.max_error_bytes);
  return limits;
}

std::optional<std::vector<DocumentSpan>> documents_from(const json& init, std::uint64_t total) {
  const auto* listed = json_field::array(init, "documents");
  if (listed == nullptr) return std::nullopt;
  std::vector<DocumentSpan> out;
  for (const auto& d : *listed) {
    const auto* name = json_field::string(d, "name");
    const auto offset = json_field::count(d, "offset");
    const auto bytes = json_field::count(d, "bytes");
    if (name == nullptr || !offset || !bytes) return std::nullopt;
    const auto start = static_cast<std::uint64_t>(*offset);
    const auto size = static_cast<std::uint64_t>(*bytes);
    if (start > total || size > total - start) return std::nullopt; // outside the mapping
    out.push_back({*name, start, size});
  }
  return out;
}

json to_json(const CellResult& r) {
  json j = {{"type", "result"},
            {"output", r.output},
            {"output_dropped", r.output_dropped},
            {"seconds", r.seconds},
            {"memory_bytes", r.memory_bytes},
            {"peak_memory_bytes", r.peak_memory_bytes},
            {"sub_calls", r.sub_calls},
            {"read_document", r.read_document}};
  if (r.error) j["error"] = {{"kind", to_string(r.error->kind)}, {"message", r.error->message}};
  if (r.final_answer) j["final"] = *r.final_answer;
  return j;
}

CellResult result_from(const json& frame) {
  CellResult r;
  if (const auto* output = json_field::string(frame, "output")) r.output = *output;
  r.output_dropped = count(frame, "output_dropped");
  r.seconds = seconds(frame, "seconds").value_or(0);
  r.memory_bytes = count(frame, "memory_bytes");
  r.peak_memory_bytes = count(frame, "peak_memory_bytes");
  r.sub_calls = count(frame, "sub_calls");
  r.read_document = json_field::boolean(frame, "read_document").value_or(false);
  if (const auto* final_answer = json_field::string(frame, "final")) r.final_answer = *final_answer;
  if (const auto* error = json_field::any(frame, "error")) {
    const auto* message = json_field::string(*error, "message");
    r.error =
        CellError{error_kind(json_field::string(*error, "kind")),
                  message != nullptr ? *message : std::string("the REPL sent a malformed error")};
  }
  return r;
}

json query_frame(const std::vector<std::string>& prompts) {
  return {{"type", "query"}, {"prompts", prompts}};
}

std::optional<std::vector<std::string>> prompts_from(const json& frame) {
  const auto* prompts = json_field::array(frame, "prompts");
  if (prompts == nullptr) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(prompts->size());
  for (const auto& p : *prompts) {
    if (!p.is_string()) return std::nullopt;
    out.push_back(p.get<std::string>());
  }
  return out;
}

json answers_frame(const std::vector<QueryResult>& results, double model_seconds) {
  json answers = json::array();
  for (const auto& r : results)
    answers.push_back(r ? json{{"text", *r}} : json{{"error", r.error()}});
  return {{"type", "answers"}, {"answers", answers}, {"model_seconds", model_seconds}};
}

Answers answers_from(const json& frame, std::size_t prompts) {
  Answers out;
  out.model_seconds = seconds(frame, "model_seconds").value_or(0);
  const auto* answers = json_field::array(frame, "answers");
  for (std::size_t i = 0; i < prompts; ++i) {
    const json* answer = answers != nullptr && i < answers->size() ? &(*answers)[i] : nullptr;
    const auto* text = answer != nullptr ? json_field::string(*answer, "text") : nullptr;
    const auto* error = answer != nullptr ? json_field::string(*answer, "error") : nullptr;
    if (text != nullptr) {
      out.results.emplace_back(*text);
    } else {
      out.results.emplace_back(std::unexpected(error != nullptr ? *error : "no answer"));
    }
  }
  return out;
}

} // namespace rlm::lua::frames
