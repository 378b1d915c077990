// The RLM loop, as a small state machine:
//
//   start ──▶ turn ──▶ turn ──▶ … ──▶ (turns or a budget run out) final call
//              │
//              ├─ ask:       the root model's next reply (a failure ends the run)
//              ├─ carry out: its Lua cells run in the REPL, or its plain FINAL is taken
//              └─ decide:    stop (Ctrl-C, a REPL that is gone, a sub-call failure that will
//                            repeat, too many failed turns in a row), accept the answer, turn
//                            an unexamined answer back once, or go on with feedback
//
// Before each request the conversation is fitted to the root model's window (history.hpp):
// older turns are compacted rather than the request failing, and once more when the server
// refuses it as too long.
//
// A budget the user set (max_cost, max_seconds, max_tokens) is checked before each turn and
// after each turn's cells; once one has run out, the top-level run makes the final call and
// a nested run ends at once (its sub-call fails, and the run above it ends the same way).
//
// The policies are the small functions of policy.cpp; this file says when each applies. A
// turn is reported to the observer once (close_turn), and every way out of a run goes
// through finish(), which fills in what all results share.
#include "budgets.hpp"
#include "hints.hpp"
#include "history.hpp"
#include "policy.hpp"
#include "reasoning.hpp"
#include "request_log.hpp"
#include "run_scope.hpp"
#include "system_prompt.hpp"

#include "rlm/loop/briefing.hpp"
#include "rlm/loop/reply.hpp"

#include <fmt/format.h>

#include <chrono>
#include <set>

namespace rlm::loop {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a run carries from turn to turn.
struct LoopState {
  History history;
  bool looked = false; // a cell has read the document
  std::optional<std::string> turned_back_answer;
  int failed_streak = 0; // turns in a row whose code all failed
  std::string last_error;
  std::set<std::string> code_seen;
};

// What one turn came to.
struct Turn {
  IterationRecord record;
  Clock::time_point started = Clock::now();
  std::string output; // the cells' output, as the model will read it
  std::optional<std::string> answer;
  bool ran_code = false;
  bool any_ok = false;
  bool any_failed = false;
  bool interrupted = false;
  std::optional<Error> repl_gone;
};

// How a run ends.
struct Ending {
  StopReason stop = StopReason::final_answer;
  std::string message = {};
  std::optional<std::string> answer = {};
  std::optional<providers::ProviderError::Kind> provider_error = {};
  std::optional<Error> error = {};
};

void take_reply(IterationRecord& record, const providers::PoolAnswer& reply) {
  record.reply = reply.response.text;
  record.provider = reply.provider;
  record.usage = reply.response.usage;
  record.prompt_truncated = reply.response.prompt_truncated;
  record.model_seconds = reply.response.seconds;
  record.attempts = reply.attempts;
  record.cost = reply.cost;
  record.cached = reply.response.cached;
  if (const auto at = reply.response.stopped_at) {
    record.stream_stopped = StreamStop{.at_char = *at, .dropped = reply.response.dropped_tail};
    record.notes.push_back(fmt::format(
        "streaming execution: the reply was cut where its code block closed, at character {}; "
        "{} characters that followed were not read (usage estimated)",
        *at, reply.response.dropped_tail.size()));
  }
  record_reasoning(record, reply.response);
}

// The root model could not answer: cancelled by Ctrl-C, or the provider failed.
Ending root_failed(const providers::ProviderError& error) {
  if (error.kind == providers::ProviderError::Kind::cancelled)
    return {.stop = StopReason::cancelled, .message = "interrupted"};
  return {.stop = StopReason::provider, .message = error.message, .provider_error = error.kind};
}

void append_output(std::string& output, std::string_view cell_output) {
  output += cell_output;
  if (!output.empty() && output.back() != '\n') output += '\n';
}

class Loop {
public:
  Loop(const RunScope& scope, const document::DocumentSet& documents, const std::string& query)
      : m_scope(scope), m_settings(scope.context.settings), m_observer(scope.context.observer),
        m_documents(documents), m_query(query),
        m_host(scope.context.pool, scope.budget, m_settings, m_observer, scope.context.cancel,
               nested_runs(scope), scope.run) {}

  RunResult run();

private:
  PromptNumbers prompt_numbers() const;
  std::optional<Ending> take_turn(int number);
  void carry_out(const Reply& reply, Turn& turn);
  void run_cells(const std::vector<std::string>& code, Turn& turn);
  std::optional<lua::CellResult> run_cell(const std::string& code, Turn& turn);
  static bool ends_the_turn(const lua::CellResult& cell, Turn& turn);
  std::optional<Ending> decide(Turn& turn);
  std::optional<Ending> judge(Turn& turn);
  std::optional<Ending> sub_calls_stopped() const;
  void send_feedback(Turn& turn);
  void close_turn(Turn& turn);
  std::expected<providers::PoolAnswer, providers::ProviderError>
  ask(std::vector<CompactionRecord>& compactions, int iteration,
      const std::atomic<bool>* cancel = nullptr, bool turn = false);
  std::expected<providers::PoolAnswer, providers::ProviderError>
  send(const std::vector<providers::Message>& messages, int iteration,
       const std::atomic<bool>* cancel, bool turn);
  void start_record(IterationRecord& record, int number) const;
  RunResult end(Ending ending);
  RunResult final_call(StopReason why);
  RunResult final_reply(const std::expected<providers::PoolAnswer, providers::ProviderError>& reply,
                        StopReason why, Clock::time_point started,
                        std::vector<CompactionRecord> compactions);
  std::optional<Ending> budget_spent(bool answered = true) const;
  Ending stopped_by_flag() const;
  Ending cancelled() const;
  RunResult finish(Ending ending);

  const RunScope& m_scope;
  const RunSettings& m_settings;
  Observer& m_observer;
  const document::DocumentSet& m_documents;
  const std::string& m_query;
  Clock::time_point m_started = Clock::now();
  RunResult m_result;
  LoopState m_state;
  SubCallHost m_host;
  std::unique_ptr<lua::Repl> m_repl;
  std::size_t m_output_limit = 0; // output fed back per turn (feedback_limit)
  RequestLog m_requests;
};

RunResult Loop::run() {
  // First, so that the worker loads the documents while the windows are asked and the first
  // request is sent (a session waits for its worker only before its first cell).
  auto repl = m_scope.context.start_repl(m_documents, m_settings.limits, m_settings.tools, m_host,
                                         m_scope.context.cancel);
  m_output_limit = feedback_limit(m_settings.max_feedback_bytes,
                                  m_scope.context.pool.prompt_room_chars(m_scope.root_role));
  const auto numbers = prompt_numbers();
  const auto system =
      system_prompt(m_scope.context.prompts, m_settings.prompt_style, numbers, m_settings.tools);
  const auto first = briefing(m_documents, m_query, numbers);
  m_observer.on_start({RunMode::rlm, m_scope.depth, system, first, m_scope.run, m_scope.origin});
  m_state.history.push({"system", system});
  m_state.history.push({"user", first});
  if (!repl)
    return finish(
        {.stop = StopReason::failure, .message = repl.error().message, .error = repl.error()});
  m_repl = std::move(*repl);
  const int max_turns =
      static_cast<int>(std::min<std::int64_t>(m_settings.max_iterations, 1 << 20));
  for (int number = 1; number <= max_turns; ++number) {
    if (auto ending = take_turn(number)) return end(std::move(*ending));
  }
  return final_call(StopReason::max_iterations);
}

// A budget that ran out ends the top-level run with the final call; every other ending, and
// a nested run's, is the run's end.
RunResult Loop::end(Ending ending) {
  if (!is_budget(ending.stop)) return finish(std::move(ending));
  if (m_scope.depth == 0) return final_call(ending.stop);
  ending.message = budget_refusal(ending.stop); // what the sub-call it answers fails with
  return finish(std::move(ending));
}

PromptNumbers Loop::prompt_numbers() const {
  auto& pool = m_scope.context.pool;
  return {.max_iterations = m_settings.max_iterations,
          .sub_calls = m_scope.budget.left(),
          .output_chars = m_output_limit,
          .sub_prompt_chars = pool.prompt_room_chars(config::Role::sub),
          .root_window_tokens = pool.window_tokens(m_scope.root_role),
          .budgets = budgets_briefing(m_settings.budgets)};
}

// One turn: ask, carry out, decide; then the feedback (when the run goes on) and the record.
std::optional<Ending> Loop::take_turn(int number) {
  if (m_scope.cancelled()) return cancelled();
  if (auto spent = budget_spent()) return spent;
  Turn turn;
  start_record(turn.record, number);
  m_host.begin_turn(number);
  m_observer.on_model_call(number, m_scope.depth);
  const auto reply = ask(turn.record.compactions, number, nullptr, true);
  // A run that fails prints no answer: a FINAL it turned back was a guess (only Ctrl-C,
  // which the user chose, hands that guess on, saying so).
  if (!reply && reply.error().kind == providers::ProviderError::Kind::cancelled)
    return stopped_by_flag();
  if (!reply) return root_failed(reply.error());
  m_result.iterations = number; // a turn counts once its reply is in
  take_reply(turn.record, *reply);
  m_state.history.push({"assistant", reply->response.text});
  if (auto note = compaction_note(turn.record.compactions))
    turn.record.notes.push_back(std::move(*note));
  if (auto nudge = reasoning_only_nudge(reply->response)) { // it thought and wrote nothing
    turn.any_failed = true;
    m_state.last_error = std::move(nudge->error);
    turn.record.notes.push_back(std::move(nudge->note));
  } else {
    if (reply->response.cut_short())
      turn.record.notes.push_back(cut_short_note(reply->response.max_tokens));
    carry_out(parse_reply(reply->response.text), turn);
  }
  auto ending = decide(turn);
  // A budget's final call comes after this turn's output, so the model reads what it found.
  if (!ending || is_budget(ending->stop)) send_feedback(turn);
  close_turn(turn);
  return ending;
}

void Loop::carry_out(const Reply& reply, Turn& turn) {
  if (!reply.code.empty()) {
    turn.ran_code = true;
    if (auto note = repeated_code_note(m_state.code_seen, reply.code))
      turn.record.notes.push_back(std::move(*note));
    run_cells(reply.code, turn);
  } else if (reply.final_var && is_identifier(*reply.final_var)) {
    if (const auto cell = run_cell(fmt::format("FINAL_VAR(\"{}\")", *reply.final_var), turn)) {
      turn.output += turn.record.cells.back().output;
      turn.answer = cell->final_answer;
    }
  } else if (reply.final_text) {
    turn.answer = reply.final_text;
  } else {
    auto missing = no_code(reply);
    turn.any_failed = true;
    m_state.last_error = std::move(missing.error);
    turn.record.notes.push_back(std::move(missing.note));
  }
  if (auto note = mixed_languages_note(reply)) turn.record.notes.push_back(std::move(*note));
}

void Loop::run_cells(const std::vector<std::string>& code, Turn& turn) {
  for (std::size_t i = 0; i < code.size(); ++i) {
    const auto cell = run_cell(code[i], turn);
    if (!cell) return;
    if (code.size() > 1) turn.output += fmt::format("[block {}]\n", i + 1);
    append_output(turn.output, turn.record.cells.back().output);
    if (ends_the_turn(*cell, turn)) return;
  }
}

// Runs one cell and records it; nothing when the REPL is gone.
std::optional<lua::CellResult> Loop::run_cell(const std::string& code, Turn& turn) {
  m_observer.on_cell_start(m_scope.depth);
  auto ran = m_repl->run(code);
  m_observer.on_cell_end(m_scope.depth);
  if (!ran) {
    turn.repl_gone = std::move(ran.error());
    return std::nullopt;
  }
  const auto& cell = *ran;
  CellRecord record{code,         lua::render_for_model(cell),   std::nullopt,
                    cell.seconds, cell.final_answer.has_value(), ""};
  m_state.looked = m_state.looked || cell.read_document;
  if (cell.error) {
    turn.any_failed = true;
    record.error_kind = cell.error->kind;
    record.error_message = cell.error->message;
    m_state.last_error = cell.error->message;
  } else {
    turn.any_ok = true;
  }
  const auto hint = cell.error ? error_hint(code, *cell.error) : silent_slip_hint(code);
  if (hint) record.output += "hint: " + *hint + "\n";
  turn.record.cells.push_back(std::move(record));
  return std::move(*ran);
}

// A cell that answered, was stopped by Ctrl-C or was aborted by the host ends the turn.
bool Loop::ends_the_turn(const lua::CellResult& cell, Turn& turn) {
  using Kind = lua::CellError::Kind;
  if (cell.error && cell.error->kind == Kind::interrupted) turn.interrupted = true;
  if (cell.final_answer) turn.answer = cell.final_answer;
  return turn.interrupted || turn.answer || (cell.error && cell.error->kind == Kind::aborted);
}

std::optional<Ending> Loop::decide(Turn& turn) {
  if (turn.repl_gone) {
    return Ending{
        .stop = StopReason::failure, .message = turn.repl_gone->message, .error = turn.repl_gone};
  }
  if (turn.interrupted) return stopped_by_flag();
  if (auto stop = sub_calls_stopped()) return stop;
  if (turn.answer) {
    if (auto accepted = judge(turn)) return accepted;
  }
  if (auto spent = budget_spent()) return spent;
  m_state.failed_streak = next_failed_streak(m_state.failed_streak, turn.any_ok, turn.any_failed);
  if (streak_ends_run(m_state.failed_streak, m_settings.max_consecutive_errors))
    return Ending{.stop = StopReason::errors,
                  .message = error_streak_message(m_state.failed_streak, m_state.last_error)};
  return std::nullopt;
}

// An answer is accepted once a cell has read the document, or when it was turned back once.
std::optional<Ending> Loop::judge(Turn& turn) {
  if (judge_answer(m_state.looked, m_state.turned_back_answer.has_value()) == AnswerVerdict::accept)
    return Ending{.stop = StopReason::final_answer, .answer = turn.answer};
  m_state.turned_back_answer = turn.answer;
  turn.record.notes.push_back(turned_back_note(total_chars(m_documents)));
  return std::nullopt;
}

// A sub-call failure that will repeat for every call ends the run with the provider's error.
std::optional<Ending> Loop::sub_calls_stopped() const {
  const auto error = m_scope.budget.stopping();
  if (!error) return std::nullopt;
  return Ending{.stop = StopReason::provider,
                .message =
                    fmt::format("a sub-call failed, and every sub-call would: {}", error->message),
                .provider_error = error->kind};
}

void Loop::send_feedback(Turn& turn) {
  const auto& budget = m_scope.budget;
  turn.record.feedback =
      feedback_message(turn.output, turn.ran_code, turn.record.notes, m_output_limit,
                       {turn.record.number, m_settings.max_iterations, budget.left(), budget.limit,
                        budgets_left(budget.spending)});
  m_state.history.push({"user", turn.record.feedback});
}

void Loop::close_turn(Turn& turn) {
  turn.record.seconds = since(turn.started);
  turn.record.sub_calls = m_host.take_records();
  m_observer.on_iteration(turn.record);
}

// Out of turns, or a budget ran out: one last call asks for the best answer from what was
// found. With max_seconds set it may run a little past it (final_call_grace).
RunResult Loop::final_call(StopReason why) {
  const auto prompt = is_budget(why) ? budget_final_prompt(why) : m_scope.context.prompts.final;
  m_state.history.push({"user", prompt});
  m_observer.on_model_call(m_result.iterations + 1, m_scope.depth);
  const auto started = Clock::now();
  const auto& spending = m_scope.budget.spending;
  const CancelAt cancel(m_scope.interrupt,
                        spending.final_call_deadline(m_settings.final_call_seconds));
  std::vector<CompactionRecord> compactions;
  const auto reply = ask(compactions, m_result.iterations + 1, cancel.flag());
  return final_reply(reply, why, started, std::move(compactions));
}

// The root model's reply to the conversation, fitted to its window first; when the server
// still refuses it as too long, fitted to what the refusal says fits (or three fifths of what
// was sent) and sent once more. Each compaction is added to `compactions`.
std::expected<providers::PoolAnswer, providers::ProviderError>
Loop::ask(std::vector<CompactionRecord>& compactions, int iteration,
          const std::atomic<bool>* cancel, bool turn) {
  auto& history = m_state.history;
  if (const auto room = m_scope.context.pool.prompt_room_chars(m_scope.root_role)) {
    if (auto record = history.fit(*room, "near_window")) compactions.push_back(std::move(*record));
  }
  auto view = history.view();
  auto reply = send(view, iteration, cancel, turn);
  if (reply || reply.error().kind != providers::ProviderError::Kind::context_overflow) return reply;
  const auto sent = conversation_chars(view);
  const auto fits = reply.error().fits_chars;
  const auto limit = fits && *fits < sent ? *fits : sent / 5 * 3;
  auto record = history.fit(limit, "context_overflow");
  if (!record) return reply; // nothing left to compact: the refusal stands
  compactions.push_back(std::move(*record));
  return send(history.view(), iteration, cancel, turn);
}

// One request, recorded for the observer before it is sent.
std::expected<providers::PoolAnswer, providers::ProviderError>
Loop::send(const std::vector<providers::Message>& messages, int iteration,
           const std::atomic<bool>* cancel, bool turn) {
  auto request = m_requests.next(messages);
  request.run = m_scope.run;
  request.depth = m_scope.depth;
  request.iteration = iteration;
  m_observer.on_request(request);
  return m_scope.ask_root(messages, cancel, turn);
}

void Loop::start_record(IterationRecord& record, int number) const {
  record.number = number;
  record.depth = m_scope.depth;
  record.run = m_scope.run;
}

RunResult
Loop::final_reply(const std::expected<providers::PoolAnswer, providers::ProviderError>& reply,
                  StopReason why, Clock::time_point started,
                  std::vector<CompactionRecord> compactions) {
  if (!reply && reply.error().kind == providers::ProviderError::Kind::cancelled) {
    if (auto spent = budget_spent(false); spent && !m_scope.cancelled()) return finish(*spent);
    return finish(cancelled());
  }
  if (!reply) return finish(root_failed(reply.error()));
  Turn turn;
  turn.started = started;
  start_record(turn.record, m_result.iterations + 1);
  take_reply(turn.record, *reply);
  turn.record.compactions = std::move(compactions);
  turn.record.notes.push_back(final_call_note(why, m_scope.budget.spending));
  turn.record.seconds = since(turn.started);
  m_observer.on_iteration(turn.record);
  const auto& text = reply->response.text;
  const auto parsed = parse_reply(text);
  m_result.answer_cut_short = reply->response.cut_short();
  m_result.answer_finish_reason = reply->response.finish_reason;
  return finish({.stop = why,
                 .message = is_budget(why) ? budget_message(why, m_scope.budget.spending)
                                           : max_iterations_message(m_settings.max_iterations),
                 .answer = parsed.final_text ? *parsed.final_text : strip_fences(text)});
}

// The budget that ran out, as the run's ending; nothing while every budget has some left.
std::optional<Ending> Loop::budget_spent(bool answered) const {
  const auto& spending = m_scope.budget.spending;
  const auto spent = spending.spent();
  if (!spent) return std::nullopt;
  return Ending{.stop = *spent, .message = budget_message(*spent, spending, answered)};
}

// A call or cell stopped by the cancel flag: Ctrl-C, or max_seconds running out.
Ending Loop::stopped_by_flag() const {
  if (!m_scope.cancelled()) {
    if (auto spent = budget_spent()) return std::move(*spent);
  }
  return cancelled();
}

// Ctrl-C hands on the answer that was turned back, if there was one, saying so.
Ending Loop::cancelled() const {
  return {.stop = StopReason::cancelled,
          .message = "interrupted",
          .answer = m_state.turned_back_answer};
}

RunResult Loop::finish(Ending ending) {
  m_result.mode = RunMode::rlm;
  m_result.stop = ending.stop;
  m_result.message = std::move(ending.message);
  m_result.answer = std::move(ending.answer);
  m_result.provider_error = ending.provider_error;
  m_result.error = std::move(ending.error);
  m_result.seconds = since(m_started);
  const auto& budget = m_scope.budget;
  m_result.sub_calls = budget.answered.load() + budget.failed.load();
  m_result.sub_calls_failed = budget.failed.load();
  m_result.sub_call_errors = budget.error_messages();
  return m_result;
}

} // namespace

RunResult run_loop(const RunScope& scope, const document::DocumentSet& documents,
                   const std::string& query) {
  return Loop(scope, documents, query).run();
}

} // namespace rlm::loop
