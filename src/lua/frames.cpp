#include "frames.hpp"

#include "frame_codec.hpp"
#include "query_limits.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace rlm::lua::frames {

namespace codec {

// The field lists: the one place each message (and each value inside one) is spelled out.

template <> struct Schema<Limits> {
  static constexpr std::tuple fields{Field{"cell_timeout_seconds", &Limits::cell_timeout_seconds},
                                     Field{"memory_limit_bytes", &Limits::memory_limit_bytes},
                                     Field{"max_output_bytes", &Limits::max_output_bytes},
                                     Field{"max_source_bytes", &Limits::max_source_bytes},
                                     Field{"max_error_bytes", &Limits::max_error_bytes}};
  static Problem check(const Limits& l) {
    if (l.cell_timeout_seconds <= 0) return ".cell_timeout_seconds is not above 0";
    constexpr std::int64_t most = std::int64_t{1} << 50;
    for (const auto& [name, value] : {std::pair{"memory_limit_bytes", l.memory_limit_bytes},
                                      std::pair{"max_output_bytes", l.max_output_bytes},
                                      std::pair{"max_source_bytes", l.max_source_bytes},
                                      std::pair{"max_error_bytes", l.max_error_bytes}}) {
      if (value < 1 || value > most) return fmt::format(".{} is not 1 to 2^50", name);
    }
    return {};
  }
};

template <> struct Schema<DocumentSpan> {
  static constexpr std::tuple fields{Field{"name", &DocumentSpan::name},
                                     Field{"offset", &DocumentSpan::offset},
                                     Field{"bytes", &DocumentSpan::bytes}};
};

template <> struct Schema<Init> {
  static constexpr std::tuple fields{
      Field{"limits", &Init::limits}, Field{"documents_bytes", &Init::documents_bytes},
      Field{"documents", &Init::documents},
      Field{"address_space_bytes", &Init::address_space_bytes}, Field{"tools", &Init::tools}};
  // Each document lies inside the memory file the worker maps.
  static Problem check(const Init& init) {
    const auto total = init.documents_bytes;
    for (std::size_t i = 0; i < init.documents.size(); ++i) {
      const auto& d = init.documents[i];
      if (d.offset > total || d.bytes > total - d.offset)
        return fmt::format(".documents[{}] lies outside the documents' {} bytes", i, total);
    }
    return {};
  }
};

template <> struct Schema<Ready> {
  static constexpr std::tuple fields{Field{"memory_bytes", &Ready::memory_bytes}};
};

template <> struct Schema<ToolFile> {
  static constexpr std::tuple fields{Field{"name", &ToolFile::name},
                                     Field{"source", &ToolFile::source}};
};

template <> struct Schema<Failed> {
  static constexpr std::tuple fields{Field{"message", &Failed::message},
                                     Field{"tool_file", &Failed::tool_file}};
};

template <> struct Schema<Cell> { static constexpr std::tuple fields{Field{"code", &Cell::code}}; };

template <> struct Schema<Query> {
  static constexpr std::tuple fields{Field{"prompts", &Query::prompts}};
};

template <> struct Schema<Answers> {
  static constexpr std::tuple fields{Field{"answers", &Answers::answers},
                                     Field{"model_seconds", &Answers::model_seconds}};
};

template <> struct Schema<CellError> {
  static constexpr std::tuple fields{Field{"kind", &CellError::kind},
                                     Field{"message", &CellError::message}};
};

template <> struct Schema<CellResult> {
  static constexpr std::tuple fields{Field{"output", &CellResult::output},
                                     Field{"output_dropped", &CellResult::output_dropped},
                                     Field{"error", &CellResult::error},
                                     Field{"final", &CellResult::final_answer},
                                     Field{"seconds", &CellResult::seconds},
                                     Field{"memory_bytes", &CellResult::memory_bytes},
                                     Field{"peak_memory_bytes", &CellResult::peak_memory_bytes},
                                     Field{"sub_calls", &CellResult::sub_calls},
                                     Field{"read_document", &CellResult::read_document}};
};

} // namespace codec

namespace {

constexpr std::array k_all_types = {
    k_message_type<Init>,  k_message_type<Ready>,   k_message_type<Failed>,    k_message_type<Cell>,
    k_message_type<Query>, k_message_type<Answers>, k_message_type<CellResult>};

template <class M> nlohmann::json encode_message(const M& message) {
  nlohmann::json frame = {{"type", k_message_type<M>}};
  codec::write_fields(message, frame);
  return frame;
}

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::string out;
  for (const auto name : names) out += fmt::format("{}\"{}\"", out.empty() ? "" : " or ", name);
  return out;
}

} // namespace

nlohmann::json encode(const Init& message) { return encode_message(message); }
nlohmann::json encode(const Ready& message) { return encode_message(message); }
nlohmann::json encode(const Failed& message) { return encode_message(message); }
nlohmann::json encode(const Cell& message) { return encode_message(message); }
nlohmann::json encode(const Query& message) { return encode_message(message); }
nlohmann::json encode(const Answers& message) { return encode_message(message); }
nlohmann::json encode(const CellResult& message) { return encode_message(message); }

std::string unexpected_type(const nlohmann::json& frame,
                            std::initializer_list<std::string_view> expected) {
  const auto* type = json_field::string(frame, "type");
  if (type == nullptr)
    return fmt::format("a message without a type where {} was expected", quoted_list(expected));
  if (std::find(k_all_types.begin(), k_all_types.end(), *type) == k_all_types.end())
    return fmt::format("unknown message type \"{}\"", printable(*type, 60));
  return fmt::format("a \"{}\" message where {} was expected", *type, quoted_list(expected));
}

template <class M> Result<M> decode(const nlohmann::json& frame) {
  if (const auto* type = json_field::string(frame, "type");
      type == nullptr || *type != k_message_type<M>) {
    return fail(ErrorKind::internal, unexpected_type(frame, {k_message_type<M>}));
  }
  M message;
  if (auto problem = codec::read_fields(frame, message, "type")) {
    if (problem->starts_with('.')) problem->erase(0, 1);
    return fail(ErrorKind::internal, fmt::format("malformed \"{}\" message: {}", k_message_type<M>,
                                                 printable(*problem, 200)));
  }
  return message;
}

template Result<Init> decode<Init>(const nlohmann::json&);
template Result<Ready> decode<Ready>(const nlohmann::json&);
template Result<Failed> decode<Failed>(const nlohmann::json&);
template Result<Cell> decode<Cell>(const nlohmann::json&);
template Result<Query> decode<Query>(const nlohmann::json&);
template Result<Answers> decode<Answers>(const nlohmann::json&);
template Result<CellResult> decode<CellResult>(const nlohmann::json&);

const char* refusal_of(const Query& query) {
  const auto& prompts = query.prompts;
  if (prompts.empty() || prompts.size() > k_max_batch_prompts)
    return "a query of no prompts or of too many";
  std::size_t total = 0;
  for (const auto& prompt : prompts) {
    if (prompt.empty() || prompt.size() > k_max_prompt_bytes)
      return "a query with an empty or oversized prompt";
    total += prompt.size();
  }
  return total > k_max_batch_bytes ? "a query over the batch size limit" : nullptr;
}

const char* refusal_of(const CellResult& result) {
  using Kind = CellError::Kind;
  if (!result.error) return nullptr;
  const auto kind = result.error->kind;
  const bool parents = kind == Kind::crashed || kind == Kind::interrupted || kind == Kind::aborted;
  return parents ? "a result claiming an error only the parent can know" : nullptr;
}

} // namespace rlm::lua::frames
