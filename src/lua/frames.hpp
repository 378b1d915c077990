// The messages between rlm and its Lua worker, defined once for both ends: one struct per
// message, one encoder and one decoder each (their field lists are in frames.cpp). A decoder
// is strict and total: an unknown type, a missing field, a field of the wrong type or range,
// or a field no message declares gives an Error naming the message and the field, never a
// default, an exception or a crash (only a broken or compromised peer sends one). Frames
// travel as protocol.hpp's length-prefixed JSON.
//
//   parent -> worker   init, then per cell: cell, and answers for each query
//   worker -> parent   ready or failed, then per cell: query..., then result (or failed)
#pragma once

#include "protocol.hpp"

#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"
#include "rlm/lua/tool_file.hpp"
#include "rlm/util/error.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rlm::lua::frames {

// The largest number of seconds a message carries (about 31 years): a cell limit past it is
// no limit, and the parent sends no more (Session clamps it).
inline constexpr double k_max_seconds = 1e9;

// One document's place in the documents' memory file.
struct DocumentSpan {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  bool operator==(const DocumentSpan&) const = default;
};

// Parent to worker, first: the limits and where each document lies in the memory file (every
// span within `documents_bytes`, or the message is malformed).
struct Init {
  Limits limits;
  std::uint64_t documents_bytes = 0;
  std::vector<DocumentSpan> documents;
  std::optional<std::uint64_t> address_space_bytes; // the worker's virtual memory cap
  std::vector<ToolFile> tools;                      // the user's, loaded before `ready`
  bool operator==(const Init&) const = default;
};

// Worker to parent, once its documents are loaded and it is confined.
struct Ready {
  std::uint64_t memory_bytes = 0; // the Lua heap in use
  bool operator==(const Ready&) const = default;
};

// Worker to parent, instead of `ready` or of a result: why it stops (then it exits).
struct Failed {
  std::string message;
  std::optional<bool> tool_file; // true: a tool file of the user's failed, not the worker
  bool operator==(const Failed&) const = default;
};

// Parent to worker: run one cell.
struct Cell {
  std::string code;
  bool operator==(const Cell&) const = default;
};

// Worker to parent, during a cell: llm_query's prompts.
struct Query {
  std::vector<std::string> prompts;
  bool operator==(const Query&) const = default;
};

// Parent to worker: one answer (or error) per prompt of the last query, and the seconds the
// parent spent waiting for them.
struct Answers {
  std::vector<QueryResult> answers;
  double model_seconds = 0;
  bool operator==(const Answers&) const = default;
};

// Worker to parent, ending a cell: its CellResult (all but `state_reset`, which only the
// parent knows).

// The `type` each message travels under.
template <class M> inline constexpr std::string_view k_message_type = {};
template <> inline constexpr std::string_view k_message_type<Init> = "init";
template <> inline constexpr std::string_view k_message_type<Ready> = "ready";
template <> inline constexpr std::string_view k_message_type<Failed> = "failed";
template <> inline constexpr std::string_view k_message_type<Cell> = "cell";
template <> inline constexpr std::string_view k_message_type<Query> = "query";
template <> inline constexpr std::string_view k_message_type<Answers> = "answers";
template <> inline constexpr std::string_view k_message_type<CellResult> = "result";

// The frame of `message`, its `type` included.
nlohmann::json encode(const Init& message);
nlohmann::json encode(const Ready& message);
nlohmann::json encode(const Failed& message);
nlohmann::json encode(const Cell& message);
nlohmann::json encode(const Query& message);
nlohmann::json encode(const Answers& message);
nlohmann::json encode(const CellResult& message);

// The message of type M in `frame`, or an Error (ErrorKind::internal) naming what is wrong:
// another type, a missing, mistyped or unknown field. Defined for the seven messages above.
template <class M> Result<M> decode(const nlohmann::json& frame);

// Why `frame` is none of the `expected` types: it has no type, an unknown one, or another.
std::string unexpected_type(const nlohmann::json& frame,
                            std::initializer_list<std::string_view> expected);

// Whichever of the messages M... `frame` is, decoded; an Error when it is none of them.
template <class... M> Result<std::variant<M...>> decode_one_of(const nlohmann::json& frame) {
  const auto* type = json_field::string(frame, "type");
  std::optional<Result<std::variant<M...>>> decoded;
  const auto try_one = [&]<class One>(std::type_identity<One>) {
    if (type == nullptr || *type != k_message_type<One>) return false;
    auto one = decode<One>(frame);
    if (one) {
      decoded.emplace(std::variant<M...>(std::move(*one)));
    } else {
      decoded.emplace(std::unexpected(std::move(one.error())));
    }
    return true;
  };
  if ((try_one(std::type_identity<M>{}) || ...)) return std::move(*decoded);
  return fail(ErrorKind::internal, unexpected_type(frame, {k_message_type<M>...}));
}

// What the parent checks of a worker's message beyond its shape. The worker's own tools
// never send these, so only a compromised worker does: a query over the batch limits
// (query_limits.hpp), which would make the parent hold gigabytes, and a result claiming an
// error only the parent can know (crashed, interrupted, aborted). Each returns why the
// message is refused, or nullptr.
const char* refusal_of(const Query& query);
const char* refusal_of(const CellResult& result);

// Sends `message` as one frame (see protocol::send).
template <class M> protocol::Sent send(int fd, const M& message) {
  return protocol::send(fd, encode(message));
}

} // namespace rlm::lua::frames
