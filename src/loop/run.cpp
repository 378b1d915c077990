#include "rlm/loop/run.hpp"

#include "sub_calls.hpp"

#include "rlm/loop/briefing.hpp"
#include "rlm/loop/reply.hpp"
#include "rlm/lua/session.hpp"
#include "rlm/util/fatal.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

namespace rlm::loop {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

std::uint64_t total_chars(const document::DocumentSet& docs) {
  std::uint64_t chars = 0;
  for (const auto& d : docs.documents()) chars += d.characters;
  return chars + (docs.documents().empty() ? 0 : 2 * (docs.documents().size() - 1));
}

// Whether code reads the document: a FINAL in a cell that never touched it is a guess.
bool reads_document(std::string_view code) {
  for (const auto* name :
       {"context", "documents", "grep", "line(", "lines(", "chunk", "re.", "llm_query", "slice("}) {
    if (code.find(name) != std::string_view::npos) return true;
  }
  return false;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::ranges::all_of(
      s, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string cut(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const auto dropped = text.size() - max_bytes;
  text = utf8_prefix(text, max_bytes);
  return text + fmt::format("\n[output truncated: {} more bytes not shown; print less, or "
                            "summarise with code]",
                            dropped);
}

std::string strip_fences(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    if (!line.starts_with("```")) out.append(line).push_back('\n');
    at = end + 1;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::size_t first = 0;
  while (first < out.size() && (out[first] == '\n' || out[first] == ' ')) ++first;
  return out.substr(first);
}

// One run (the top level, or one nested in a sub-call) and what it shares.
struct Run {
  const document::DocumentSet& docs;
  const std::string& query;
  providers::Pool& pool;
  const Prompts& prompts;
  const RunSettings& settings;
  Observer& observer;
  const std::atomic<bool>* cancel;
  SubCallState& budget;
  int depth = 0;
  config::Role root_role = config::Role::root;

  RunResult bypass();
  RunResult loop();
  NestedRun nested();
  std::expected<providers::PoolAnswer, providers::ProviderError>
  ask_root(const std::vector<providers::Message>& messages) const {
    providers::ChatRequest request;
    request.messages = messages;
    request.cancel = cancel;
    return pool.chat(root_role, request);
  }
};

// What a root call's answer tells the iteration's record.
void take_reply(IterationRecord& record, const providers::PoolAnswer& reply) {
  record.reply = reply.response.text;
  record.provider = reply.provider;
  record.usage = reply.response.usage;
  record.prompt_truncated = reply.response.prompt_truncated;
  record.model_seconds = reply.response.seconds;
}

RunResult stopped(RunResult result, StopReason reason, std::string message) {
  result.stop = reason;
  result.message = std::move(message);
  return result;
}

// The root model could not answer: cancelled by Ctrl-C, or the provider failed.
RunResult root_failed(RunResult result, const providers::ProviderError& error) {
  if (error.kind == providers::ProviderError::Kind::cancelled)
    return stopped(std::move(result), StopReason::cancelled, "interrupted");
  result.provider_error = error.kind;
  return stopped(std::move(result), StopReason::provider, error.message);
}

RunResult Run::bypass() {
  const auto started = Clock::now();
  RunResult result;
  result.mode = "bypass";
  std::string text;
  for (std::size_t i = 0; i < docs.documents().size(); ++i) {
    if (i > 0) text += "\n\n";
    text += docs.read(i);
  }
  const std::string user = "Document:\n<<<\n" + text + "\n>>>\n\nQuestion: " + query;
  observer.on_start({"bypass", depth, prompts.bypass, user});
  observer.on_model_call(1, depth);
  const auto reply = ask_root({{"system", prompts.bypass}, {"user", user}});
  result.seconds = since(started);
  if (!reply) return root_failed(result, reply.error());
  IterationRecord record;
  record.number = 1;
  record.depth = depth;
  take_reply(record, *reply);
  record.seconds = result.seconds;
  observer.on_iteration(record);
  result.iterations = 1;
  result.answer = strip_fences(reply->response.text);
  result.answer_cut_short = reply->response.cut_short();
  result.answer_finish_reason = reply->response.finish_reason;
  return result;
}

NestedRun Run::nested() {
  if (depth + 1 >= settings.max_depth) return nullptr;
  return [this](const std::string& prompt) -> std::expected<std::string, std::string> {
    try {
      document::DocumentSet sub_docs;
      if (auto added = sub_docs.add_text("sub-call prompt", prompt); !added)
        return std::unexpected(added.error().message);
      Run inner{sub_docs, prompts.nested, pool,   prompts,   settings,
                observer, cancel,         budget, depth + 1, config::Role::sub};
      const auto result = inner.loop();
      if (result.answer) return *result.answer;
      // Its root is the sub role: a sub model that is missing (or a key) stops every run.
      if (result.stop == StopReason::provider && result.provider_error &&
          providers::repeats_every_call(*result.provider_error))
        budget.stop({*result.provider_error, result.message});
      return std::unexpected("the nested run ended without an answer: " + result.message);
    } catch (const Fatal& error) {
      return std::unexpected(std::string(error.what()));
    }
  };
}

RunResult Run::loop() {
  const auto started = Clock::now();
  RunResult result;
  result.mode = "rlm";
  const auto system =
      fill(prompts.system, {{"max_iterations", std::to_string(settings.max_iterations)},
                            {"max_sub_calls", std::to_string(budget.left())}});
  const auto first = briefing(docs, query, {settings.max_iterations, budget.left()});
  observer.on_start({"rlm", depth, system, first});
  std::vector<providers::Message> messages = {{"system", system}, {"user", first}};

  SubCallHost host(pool, budget, settings, observer, cancel, nested());
  lua::SessionOptions session_options;
  session_options.cancel = cancel;
  // A REPL that cannot start, or be restarted, throws the Fatal that Session threw before
  // (to be replaced by the loop's own Result).
  const auto or_fatal = [](auto made) {
    if (!made) throw Fatal(ExitCode::failure, made.error().message);
    return std::move(*made);
  };
  const auto repl = or_fatal(lua::Session::start(docs, settings.limits, host, session_options));
  auto& session = *repl;

  bool looked = false;
  bool turned_back = false;
  int failed_turns = 0;
  std::string last_error;
  std::set<std::string> code_seen;
  std::optional<std::string> turned_back_answer;
  const auto finish = [&](RunResult r) {
    r.seconds = since(started);
    r.sub_calls = budget.answered.load() + budget.failed.load();
    r.sub_calls_failed = budget.failed.load();
    r.sub_call_errors = budget.error_messages();
    return r;
  };
  // A sub-call failure that will repeat for every call ends the run with the provider's error.
  const auto sub_calls_stopped = [&](RunResult r) -> std::optional<RunResult> {
    const auto error = budget.stopping();
    if (!error) return std::nullopt;
    r.provider_error = error->kind;
    return finish(
        stopped(std::move(r), StopReason::provider,
                fmt::format("a sub-call failed, and every sub-call would: {}", error->message)));
  };

  const int max_turns = static_cast<int>(std::min<std::int64_t>(settings.max_iterations, 1 << 20));
  for (int turn = 1; turn <= max_turns; ++turn) {
    result.iterations = turn;
    if (cancelled(cancel)) {
      result.answer = turned_back_answer;
      return finish(stopped(result, StopReason::cancelled, "interrupted"));
    }
    const auto turn_started = Clock::now();
    IterationRecord record;
    record.number = turn;
    record.depth = depth;
    observer.on_model_call(turn, depth);
    auto reply = ask_root(messages);
    // A run that fails prints no answer: a FINAL it turned back was a guess (only Ctrl-C,
    // which the user chose, hands that guess on, saying so).
    if (!reply) {
      result.iterations = turn - 1; // the turns that were had: this one never began
      return finish(root_failed(result, reply.error()));
    }
    take_reply(record, *reply);
    messages.push_back({"assistant", reply->response.text});
    if (reply->response.cut_short()) {
      record.notes.push_back(fmt::format(
          "Your reply stopped at the {}-token limit before it ended; write shorter replies (one "
          "code block, little prose).",
          reply->response.max_tokens));
    }

    const auto parsed = parse_reply(reply->response.text);
    std::optional<std::string> answer;
    std::string output;
    bool any_ok = false;
    bool any_failed = false;
    const auto run_cell = [&](const std::string& code) {
      auto cell = or_fatal(session.run(code));
      CellRecord cell_record;
      cell_record.code = code;
      cell_record.output = lua::render_for_model(cell);
      cell_record.seconds = cell.seconds;
      cell_record.set_final = cell.final_answer.has_value();
      if (cell.error) {
        any_failed = true;
        cell_record.error_kind = lua::to_string(cell.error->kind);
        last_error = cell.error->message;
        if (cell.error->kind == lua::CellError::Kind::syntax) {
          if (const auto hint = wrong_language_hint(code)) cell_record.output += "\nhint: " + *hint;
        }
      } else {
        any_ok = true;
        looked = looked || reads_document(code);
      }
      record.cells.push_back(cell_record);
      return cell;
    };

    if (!parsed.code.empty()) {
      std::string all_code;
      for (const auto& c : parsed.code) all_code += c;
      if (!code_seen.insert(all_code).second) {
        record.notes.push_back("You ran exactly this code before; its output is above. Try "
                               "something different, or finish with FINAL.");
      }
      for (std::size_t i = 0; i < parsed.code.size(); ++i) {
        const auto cell = run_cell(parsed.code[i]);
        if (parsed.code.size() > 1) output += fmt::format("[block {}]\n", i + 1);
        output += record.cells.back().output;
        if (!output.empty() && output.back() != '\n') output += '\n';
        if (cell.error && cell.error->kind == lua::CellError::Kind::aborted) break;
        if (cell.error && cell.error->kind == lua::CellError::Kind::interrupted) {
          result.answer = turned_back_answer;
          record.seconds = since(turn_started);
          record.sub_calls = host.take_records();
          observer.on_iteration(record);
          return finish(stopped(result, StopReason::cancelled, "interrupted"));
        }
        if (cell.final_answer) {
          answer = cell.final_answer;
          break;
        }
      }
    } else if (parsed.final_var && is_identifier(*parsed.final_var)) {
      const auto cell = run_cell(fmt::format("FINAL_VAR(\"{}\")", *parsed.final_var));
      output += record.cells.back().output;
      if (cell.final_answer) answer = cell.final_answer;
    } else if (parsed.final_text) {
      answer = parsed.final_text;
    } else if (!parsed.other_language.empty()) {
      any_failed = true;
      last_error = fmt::format("a ```{} block instead of Lua", parsed.other_language.front());
      record.notes.push_back(fmt::format(
          "Your ```{} block was not run: only ```lua blocks run, in a Lua 5.4 REPL. Rewrite it "
          "in Lua.",
          parsed.other_language.front()));
    } else {
      any_failed = true;
      last_error = "a reply without code";
      record.notes.push_back("Your reply had no code. Reply with one ```lua block: start with "
                             "something like `print(context_chars, line(1))`, and call "
                             "FINAL(answer) once you know the answer.");
    }
    if (!parsed.code.empty() && !parsed.other_language.empty()) {
      record.notes.push_back(fmt::format("Only the ```lua blocks ran; the ```{} block did not.",
                                         parsed.other_language.front()));
    }

    if (auto end = sub_calls_stopped(result)) {
      record.seconds = since(turn_started);
      record.sub_calls = host.take_records();
      observer.on_iteration(record);
      return *end;
    }
    if (answer) {
      if (!looked && !turned_back) {
        turned_back = true;
        turned_back_answer = answer;
        record.notes.push_back(fmt::format(
            "Not accepted yet: you answered without examining the document ({} characters), so "
            "the answer is a guess. Look at the document with code first (print parts of it, "
            "search it); then call FINAL again.",
            with_commas(total_chars(docs))));
      } else {
        result.answer = answer;
        record.seconds = since(turn_started);
        record.sub_calls = host.take_records();
        observer.on_iteration(record);
        return finish(result);
      }
    }

    failed_turns = any_failed && !any_ok ? failed_turns + 1 : 0;
    record.sub_calls = host.take_records();
    if (failed_turns >= settings.max_consecutive_errors) {
      record.seconds = since(turn_started);
      observer.on_iteration(record);
      return finish(stopped(
          result, StopReason::errors,
          fmt::format("the root model failed {} turns in a row (last: {}); try a stronger root "
                      "model",
                      failed_turns, utf8_prefix(last_error, 300))));
    }
    std::string feedback =
        output.empty() ? std::string(parsed.code.empty() ? "" : "(the code printed nothing)\n")
                       : "Output:\n" + cut(output, settings.max_feedback_bytes);
    for (const auto& note : record.notes) feedback += "\n" + note + "\n";
    feedback += fmt::format("\n[turn {} of {} done; sub-calls left: {} of {}]", turn,
                            settings.max_iterations, budget.left(), budget.limit);
    record.feedback = feedback;
    record.seconds = since(turn_started);
    messages.push_back({"user", std::move(feedback)});
    observer.on_iteration(record);
  }

  // Out of turns: one last call asks for the best answer from what was found.
  messages.push_back({"user", prompts.final});
  observer.on_model_call(max_turns + 1, depth);
  const auto reply = ask_root(messages);
  if (!reply) return finish(root_failed(result, reply.error()));
  IterationRecord record;
  record.number = max_turns + 1;
  record.depth = depth;
  take_reply(record, *reply);
  record.notes.push_back("final answer requested: max_iterations reached");
  observer.on_iteration(record);
  const auto parsed = parse_reply(reply->response.text);
  result.answer = parsed.final_text ? *parsed.final_text : strip_fences(reply->response.text);
  result.answer_cut_short = reply->response.cut_short();
  result.answer_finish_reason = reply->response.finish_reason;
  return finish(stopped(result, StopReason::max_iterations,
                        fmt::format("max_iterations ({}) reached; the answer is the model's best "
                                    "effort from what it found",
                                    settings.max_iterations)));
}

} // namespace

const char* to_string(StopReason reason) {
  switch (reason) {
  case StopReason::final_answer: return "final";
  case StopReason::max_iterations: return "max_iterations";
  case StopReason::errors: return "errors";
  case StopReason::provider: return "provider";
  case StopReason::cancelled: return "cancelled";
  }
  return "?";
}

RunResult run(const document::DocumentSet& documents, const std::string& query,
              providers::Pool& pool, const Prompts& prompts, const RunSettings& settings,
              Observer& observer, const std::atomic<bool>* cancel) {
  SubCallState budget;
  budget.limit = settings.max_sub_calls;
  Run run{documents, query,  pool,   prompts, settings,
          observer,  cancel, budget, 0,       config::Role::root};
  if (settings.bypass_enabled &&
      total_chars(documents) < static_cast<std::uint64_t>(settings.bypass_threshold))
    return run.bypass();
  return run.loop();
}

} // namespace rlm::loop
