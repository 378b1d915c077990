#include "harness.hpp"

#include "lua/frames.hpp"
#include "rlm/bench/chart.hpp"
#include "rlm/bench/results_file.hpp"
#include "rlm/bench/summary.hpp"
#include "rlm/config/load.hpp"
#include "rlm/document/utf8.hpp"
#include "rlm/http/cassette.hpp"
#include "rlm/loop/briefing.hpp"
#include "rlm/providers/doctor.hpp"
#include "rlm/providers/ledger.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/openai.hpp"
#include "rlm/util/untrusted_json.hpp"
#include "rlm/view/page.hpp"
#include "rlm/view/trajectory_file.hpp"

#include <algorithm>
#include <cstdint>
#include <variant>

namespace rlm::fuzz {

namespace {

using nlohmann::json;

struct Modes {
  bool stream = true;
  bool probes_get_the_bytes = false;
  std::size_t piece = 0;
  std::string_view body;
};

Modes modes_of(std::string_view data) {
  Modes m;
  const auto byte = [&](std::size_t i) {
    return i < data.size() ? static_cast<unsigned char>(data[i]) : 0U;
  };
  m.stream = (byte(0) & 1U) != 0;
  m.probes_get_the_bytes = byte(0) % 3 == 0;
  m.piece = byte(1);
  m.body = data.substr(std::min<std::size_t>(2, data.size()));
  return m;
}

// A server that answers every chat request with the fuzzer's bytes, streamed in pieces as a
// real connection would deliver them, and every GET with them too or with 404.
class BytesTransport final : public http::Transport {
public:
  explicit BytesTransport(const Modes& modes) : m_modes(modes) {}

  std::expected<http::Response, http::Failure> perform(const http::Request& request) override {
    http::Response response;
    response.status = 200;
    if (request.method != http::Method::post) {
      if (!m_modes.probes_get_the_bytes) response.status = 404;
      response.body = m_modes.body;
      return response;
    }
    if (!request.on_data) {
      response.body = m_modes.body;
      return response;
    }
    const auto piece = m_modes.piece == 0 ? m_modes.body.size() : m_modes.piece;
    for (std::size_t at = 0; at < m_modes.body.size(); at += piece) {
      const auto part = m_modes.body.substr(at, piece);
      response.bytes += part.size();
      if (request.is_progress) (void)request.is_progress(part);
      if (!request.on_data(part)) {
        return std::unexpected(
            http::Failure{http::Failure::Kind::cancelled, "stopped by the reader", true});
      }
    }
    return response;
  }

private:
  Modes m_modes;
};

config::ProviderConfig provider(config::ProviderType type) {
  config::ProviderConfig p;
  p.type = type;
  p.name = "fuzz";
  p.base_url = "http://fuzz.invalid/v1";
  p.model = "m";
  p.max_tokens = 64;
  p.price_input_per_mtok = 0.27;
  p.price_cached_input_per_mtok = 0.07;
  p.price_output_per_mtok = 1.1;
  return p;
}

// What rlm does with a reply: read it, account for it, and render what a user would see.
std::string outcome(const std::expected<providers::ChatResponse, providers::ProviderError>& reply,
                    const config::ProviderConfig& p) {
  if (!reply) return std::string("error ") + providers::to_string(reply.error().kind);
  providers::Ledger ledger({p});
  for (int i = 0; i < 3; ++i) ledger.record_answer(0, config::Role::root, *reply);
  const auto report = ledger.report();
  (void)providers::cost_of(reply->usage, p);
  return "answer " + std::to_string(reply->text.size()) + " bytes, " +
         std::to_string(report.total.prompt_tokens) + " prompt tokens";
}

std::string chat_through(config::ProviderType type, std::string_view data) {
  const auto modes = modes_of(data);
  BytesTransport transport(modes);
  auto p = provider(type);
  if (type == config::ProviderType::ollama && !modes.probes_get_the_bytes) p.context_length = 8192;
  providers::ChatRequest request;
  request.messages = {{"system", "s"}, {"user", std::string(900, 'q')}};
  request.stream = modes.stream;
  const auto none = [](std::string_view) { return std::optional<std::string>(); };
  std::string result;
  if (type == config::ProviderType::ollama) {
    providers::OllamaProvider client(p, {}, transport);
    result = outcome(client.chat(request), p);
  } else {
    providers::OpenAiProvider client(p, {}, transport, none);
    result = outcome(client.chat(request), p);
  }
  if (modes.probes_get_the_bytes) { // what rlm doctor makes of the same bytes as listings
    const auto exam = providers::examine(p, {}, transport, none);
    result += exam.usable() ? "; doctor: usable" : "; doctor: not usable";
  }
  return result;
}

} // namespace

std::string config(std::string_view data) {
  const auto result = config::parse_config(data, "fuzz.toml");
  for (const auto& d : result.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::error) return "error: " + d.message;
  }
  return "ok: " + std::to_string(result.config.providers.size()) + " providers";
}

std::string documents(std::string_view data) {
  const auto piece = data.empty() ? 0U : static_cast<unsigned char>(data[0]);
  const auto text = data.substr(std::min<std::size_t>(1, data.size()));
  // Fed in pieces or whole, the verdict must be the same.
  document::Utf8Scanner whole, pieces;
  auto whole_problem = whole.feed(text);
  if (!whole_problem) whole_problem = whole.finish();
  std::optional<document::TextProblem> piece_problem;
  const auto step = piece == 0 ? std::max<std::size_t>(1, text.size()) : piece;
  for (std::size_t at = 0; at < text.size() && !piece_problem; at += step)
    piece_problem = pieces.feed(text.substr(at, step));
  if (!piece_problem) piece_problem = pieces.finish();
  if (whole_problem.has_value() != piece_problem.has_value() ||
      (whole_problem && whole_problem->where.offset != piece_problem->where.offset))
    __builtin_trap(); // the streamed and whole readings disagree
  if (whole_problem) return document::describe(*whole_problem, "fuzz.txt");
  (void)loop::utf8_prefix(text, 600);
  (void)loop::utf8_suffix(text, 300);
  return "text: " + std::to_string(whole.characters()) + " characters";
}

std::string ollama_reply(std::string_view data) {
  return chat_through(config::ProviderType::ollama, data);
}

std::string openai_reply(std::string_view data) {
  return chat_through(config::ProviderType::openai, data);
}

std::string results_file(std::string_view data) {
  const auto results = bench::parse_results("fuzz.jsonl", data);
  if (!results) return "error: " + results.error().message;
  const auto summary = bench::summarize(results->records);
  (void)bench::render_table(summary);
  (void)bench::chart_html(summary, "fuzz");
  return std::to_string(results->records.size()) + " records, " +
         std::to_string(results->bad_lines) + " bad lines";
}

std::string trajectory_file(std::string_view data) {
  const auto trajectory = view::parse_trajectory(data, "fuzz.jsonl");
  if (!trajectory) return "error: " + trajectory.error().message;
  (void)view::render_page(*trajectory, "fuzz.jsonl");
  return std::to_string(trajectory->lines.size()) + " lines, " +
         std::to_string(trajectory->skipped_lines) + " skipped";
}

// A cassette from someone's bug report, read and asked for a request it may or may not
// hold, whole and streamed.
std::string cassette(std::string_view data) {
  auto replay = http::ReplayTransport::parse(data, "fuzz.cassette");
  if (!replay) return "error: " + replay.error().message;
  http::Request request;
  request.method = http::Method::post;
  request.url = "http://127.0.0.1:1/v1/chat/completions";
  (void)(*replay)->perform(request);
  std::size_t streamed = 0;
  request.on_data = [&](std::string_view piece) {
    streamed += piece.size();
    return true;
  };
  (void)(*replay)->perform(request);
  return std::to_string((*replay)->unused()) + " unused, " + std::to_string(streamed) + " bytes";
}

// A decoded message must encode to a frame that decodes again.
template <class... M> std::string reencoded(const std::variant<M...>& message) {
  return std::visit(
      [](const auto& m) {
        using One = std::remove_cvref_t<decltype(m)>;
        if (!lua::frames::decode<One>(lua::frames::encode(m))) __builtin_trap();
        return std::string(lua::frames::k_message_type<One>);
      },
      message);
}

std::string worker_frame(std::string_view data) {
  namespace frames = lua::frames;
  const bool parent_reads = !data.empty() && (static_cast<unsigned char>(data[0]) & 1U) != 0;
  const auto frame = parse_untrusted_json(data.substr(std::min<std::size_t>(1, data.size())));
  if (!frame || !frame->is_object()) return "not a frame";
  if (parent_reads) {
    const auto message =
        frames::decode_one_of<frames::Ready, frames::Failed, frames::Query, lua::CellResult>(
            *frame);
    if (!message) return "refused: " + message.error().message;
    if (const auto* result = std::get_if<lua::CellResult>(&*message))
      (void)lua::render_for_model(*result);
    return reencoded(*message);
  }
  const auto message = frames::decode_one_of<frames::Init, frames::Cell, frames::Answers>(*frame);
  if (!message) return "refused: " + message.error().message;
  return reencoded(*message);
}

Target target_named(std::string_view name) {
  static const std::pair<std::string_view, Target> targets[] = {
      {"cassette", cassette},
      {"config", config},
      {"documents", documents},
      {"ollama_reply", ollama_reply},
      {"openai_reply", openai_reply},
      {"results_file", results_file},
      {"trajectory_file", trajectory_file},
      {"worker_frame", worker_frame}};
  for (const auto& [n, t] : targets) {
    if (n == name) return t;
  }
  return nullptr;
}

} // namespace rlm::fuzz
