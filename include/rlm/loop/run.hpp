// The RLM loop: the root model writes Lua, the REPL runs it, the output goes back, until the
// code calls FINAL. A small document skips the loop (bypass). Observers see each step, for
// progress lines and the trajectory file.
#pragma once

#include "rlm/document/document_set.hpp"
#include "rlm/loop/prompts.hpp"
#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"
#include "rlm/lua/repl.hpp"
#include "rlm/lua/tool_file.hpp"
#include "rlm/providers/pool.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlm::loop {

// Budgets the user sets for a whole run, nested runs included (docs/loop.md, "Budgets");
// unset = no limit.
struct BudgetLimits {
  std::optional<double> max_cost;         // in the currency of the providers' price keys
  std::optional<double> max_seconds;      // wall clock, from the start of the run
  std::optional<std::int64_t> max_tokens; // prompt + completion tokens of every call
  bool any() const { return max_cost || max_seconds || max_tokens; }
};

struct RunSettings {
  std::int64_t max_iterations = 20;
  std::int64_t max_sub_calls = 50;
  std::int64_t max_depth = 1; // 1: sub-calls are plain model calls
  bool bypass_enabled = true;
  std::int64_t bypass_threshold = 4000;    // characters
  bool stream_execution = true;            // run a turn's code once its block has streamed
  int max_consecutive_errors = 4;          // turns in a row whose code all failed
  std::size_t max_feedback_bytes = 20000;  // cell output fed back to the model per turn
  std::size_t max_parallel_sub_calls = 32; // threads answering one llm_query_batched
  config::PromptStyle prompt_style = config::PromptStyle::automatic;
  bool split_oversized_prompts = false; // cut a prompt over the sub window into parts
  lua::Limits limits;
  std::vector<lua::ToolFile> tools; // the user's own ([sandbox] tools, --tools)
  BudgetLimits budgets;
  // How long the last call for the best answer may run past max_seconds; unset: a tenth of
  // max_seconds, between 5 and 60 s.
  std::optional<double> final_call_seconds;
  // The trajectory keeps each sub-call's prompt and answer up to this many bytes.
  std::size_t trajectory_max_text = 64 * 1024;
};

enum class RunMode {
  rlm,    // the loop: the root model writes code against the documents
  bypass, // a small document went to the model directly, in one call
};
const char* to_string(RunMode mode); // "rlm", "bypass"

enum class StopReason {
  final_answer,   // FINAL or FINAL_VAR was called (or a direct answer, in bypass)
  max_iterations, // the turns ran out; the answer is the model's best effort
  max_cost,       // a budget the user set ran out (BudgetLimits); the answer is the model's
  max_seconds,    //   best effort from a last call, as when the turns run out
  max_tokens,
  errors,    // too many turns in a row whose code failed
  provider,  // the root model could not be reached, or sub-calls cannot succeed
  cancelled, // Ctrl-C
  failure,   // rlm itself could not go on (the REPL could not be started): `error` says why
};
const char* to_string(StopReason reason); // the names above; a budget's is its config key
bool is_budget(StopReason reason);        // max_cost, max_seconds or max_tokens

// What a run spent against one budget the user set.
struct BudgetUse {
  StopReason budget = StopReason::max_tokens; // which one: max_cost, max_seconds, max_tokens
  double limit = 0;
  double used = 0;
};

struct SubCallRecord {
  std::size_t prompt_chars = 0;
  std::size_t answer_chars = 0;
  std::string provider;
  providers::Usage usage;
  double seconds = 0;
  std::string error; // empty when answered
  // When the provider failed (not a nested run's failure): what kind of failure.
  std::optional<providers::ProviderError::Kind> error_kind;
  bool nested = false;             // answered by a nested RLM run (max_depth > 1)
  bool prompt_truncated = false;   // the server read far fewer prompt tokens than were sent
  bool cut_short = false;          // the answer stopped at max_tokens
  bool sent = true;                // false: not sent, because the run was stopping
  std::size_t reasoning_chars = 0; // the sub model's reasoning, never part of the answer
  std::size_t parts = 0; // > 0: the prompt was over the window and sent as this many parts
  std::int64_t id = 0;   // numbered from 1 across the whole run, nested runs included
  // The prompt and the answer as recorded: cut to RunSettings::trajectory_max_text bytes (at a
  // character's boundary); *_cut says how many bytes were left out.
  std::string prompt;
  std::size_t prompt_cut = 0;
  std::string answer;
  std::size_t answer_cut = 0;
  int attempts = 0;           // requests sent for the answer (retries, failovers; every part)
  std::optional<double> cost; // of the calls whose provider has prices
  bool cached = false;        // every part answered from the call cache
};

struct CellRecord {
  std::string code;
  std::string output; // as the model reads it: output, truncation marker, error
  std::optional<lua::CellError::Kind> error_kind; // none when the cell succeeded
  double seconds = 0;
  bool set_final = false;
  std::string error_message; // the error as the REPL reported it; empty when it succeeded
};

// The root conversation was compacted before a request, to fit the root model's window.
struct CompactionRecord {
  std::string reason;           // "near_window" (before sending) or "context_overflow" (refused)
  std::int64_t limit_chars = 0; // what the conversation had to fit (text and template)
  std::int64_t chars_before = 0;
  std::int64_t chars_after = 0;
  int turns_compacted = 0; // older turns now shortened (outputs cut, prose dropped)
  int turns_dropped = 0;   // of those, the ones left out altogether
  bool fits = true;        // false: even compacted, it is over the limit (the newest turn is)
};

// A turn's streaming reply that rlm stopped reading once its code block closed.
struct StreamStop {
  std::size_t at_char = 0; // where the answer was cut (its length as kept)
  std::string dropped;     // what had arrived past the cut, left out of the reply
};

struct IterationRecord {
  int number = 0;
  int depth = 0;                   // 0 for the top-level run
  std::string reply;               // the answer part: reasoning is apart, below
  std::string reasoning;           // a thinking model's reasoning, cut to 64 KB with a marker
  std::size_t reasoning_chars = 0; // its whole size
  std::string provider;
  providers::Usage usage;
  bool prompt_truncated = false; // the server read far fewer prompt tokens than were sent
  std::optional<StreamStop> stream_stopped; // streaming execution cut the reply (usage estimated)
  double model_seconds = 0;
  std::vector<CellRecord> cells;
  std::vector<SubCallRecord> sub_calls;
  std::vector<std::string> notes;            // nudges and rejections rlm added
  std::vector<CompactionRecord> compactions; // before this turn's request, if any
  std::string feedback;                      // the user message sent back
  double seconds = 0;
  int run = 0;                // 0 for the top-level run; nested runs are numbered from 1
  int attempts = 0;           // requests the pool sent for the reply (retries, failovers)
  std::optional<double> cost; // the reply's, when its provider has prices
  bool cached = false;        // the reply came from the call cache
};

// Where a nested run comes from: the run, turn and sub-call it answers.
struct RunOrigin {
  int run = 0;
  int iteration = 0;
  std::int64_t sub_call = 0; // SubCallRecord::id
};

struct StartInfo {
  RunMode mode = RunMode::rlm;
  int depth = 0;
  std::string system_prompt;
  std::string first_message;
  int run = 0;
  std::optional<RunOrigin> parent; // for a nested run
};

// A request to a run's root model, as sent: the first `keep` messages of the run's previous
// request, then `messages` (keep is 0 for a run's first request, and when the conversation
// was compacted at its start).
struct RequestRecord {
  int run = 0;
  int depth = 0;
  int iteration = 0; // the turn it asks for (the final call's is one past the last turn)
  std::size_t keep = 0;
  std::vector<providers::Message> messages;
  std::size_t count = 0; // messages in the whole request
};

// Sees a run as it happens. on_sub_call is called from the threads answering sub-calls,
// several at once; with max_depth > 1 nested runs call every method from those threads too.
// An observer must therefore be thread-safe in every method.
class Observer {
public:
  virtual ~Observer() = default;
  virtual void on_start(const StartInfo&) {}
  virtual void on_model_call(int /*iteration*/, int /*depth*/) {}
  virtual void on_sub_call(const SubCallRecord&) {}
  virtual void on_iteration(const IterationRecord&) {}
  virtual void on_request(const RequestRecord&) {} // before the root model's request is sent
  // Around each cell the REPL runs, so a live display can say what is happening now.
  virtual void on_cell_start(int /*depth*/) {}
  virtual void on_cell_end(int /*depth*/) {}
  // A sub-call was sent; its on_sub_call follows when it ends (in flight = started - ended).
  virtual void on_sub_call_start() {}
};

struct RunResult {
  std::optional<std::string> answer;
  RunMode mode = RunMode::rlm;
  StopReason stop = StopReason::final_answer;
  std::string message; // when not final_answer: one line saying why it stopped
  // When stop is `provider`: what kind of failure (a context overflow is the model's limit,
  // not the host's failure).
  std::optional<providers::ProviderError::Kind> provider_error;
  std::optional<Error> error; // when stop is `failure`
  int iterations = 0;
  std::int64_t sub_calls = 0;               // sub-calls that ended, answered or failed
  std::int64_t sub_calls_failed = 0;        // of those, the failed ones (after retries)
  std::vector<std::string> sub_call_errors; // the different messages of those, the first few
  bool answer_cut_short = false;    // the answer stopped before its end (bypass, final call)
  std::string answer_finish_reason; // then why: "length" (max_tokens), "content_filter"
  std::vector<BudgetUse> budgets;   // the budgets the user set, and what the run spent
  double seconds = 0;
};

// Starts a REPL over `documents` with the user's `tools` loaded, whose llm_query goes to
// `host`. The default starts the confined worker process (lua::Session); tests stand an
// in-process sandbox in its place.
using ReplFactory = std::function<Result<std::unique_ptr<lua::Repl>>(
    const document::DocumentSet& documents, const lua::Limits& limits,
    const std::vector<lua::ToolFile>& tools, lua::Host& host, const std::atomic<bool>* cancel)>;
Result<std::unique_ptr<lua::Repl>> start_worker_repl(const document::DocumentSet& documents,
                                                     const lua::Limits& limits,
                                                     const std::vector<lua::ToolFile>& tools,
                                                     lua::Host& host,
                                                     const std::atomic<bool>* cancel);

// What a run works with besides the question.
struct RunContext {
  providers::Pool& pool;
  const Prompts& prompts;
  const RunSettings& settings;
  Observer& observer;
  const std::atomic<bool>* cancel = nullptr; // set by Ctrl-C
  ReplFactory start_repl = start_worker_repl;
};

// Answers `query` about `documents`. Never throws for a model's, provider's or REPL's
// failure: the result says how the run ended.
RunResult run(const document::DocumentSet& documents, const std::string& query,
              const RunContext& context);

} // namespace rlm::loop
