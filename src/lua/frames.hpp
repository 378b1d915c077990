// The messages between rlm and its Lua worker, written and read in one place for both ends.
// Each reader is total: a frame with a field of the wrong type or range (only a compromised
// or broken peer sends one) gives defaults or "malformed", never an exception, a crash or
// undefined arithmetic. Frames travel as protocol.hpp's length-prefixed JSON.
#pragma once

#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlm::lua::frames {

// Parent to worker, in "init": the limits. Fields missing or out of range keep the default.
nlohmann::json to_json(const Limits& limits);
Limits limits_from(const nlohmann::json& init);

// One document's place in the documents' memory file.
struct DocumentSpan {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
};
// The documents an "init" frame lists, each within `total` bytes; nothing when malformed.
std::optional<std::vector<DocumentSpan>> documents_from(const nlohmann::json& init,
                                                        std::uint64_t total);

// Worker to parent: a cell's result.
nlohmann::json to_json(const CellResult& result);
CellResult result_from(const nlohmann::json& frame);

// Worker to parent: llm_query's prompts; nothing when malformed.
nlohmann::json query_frame(const std::vector<std::string>& prompts);
std::optional<std::vector<std::string>> prompts_from(const nlohmann::json& frame);

// Parent to worker: one answer (or error) per prompt, and the seconds spent waiting.
nlohmann::json answers_frame(const std::vector<QueryResult>& results, double model_seconds);
struct Answers {
  std::vector<QueryResult> results; // exactly as many as prompts were sent
  double model_seconds = 0;
};
Answers answers_from(const nlohmann::json& frame, std::size_t prompts);

} // namespace rlm::lua::frames
