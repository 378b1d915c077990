// A run: the small-document bypass (one direct call), or the loop (rlm_loop.cpp), and runs
// nested in sub-calls when max_depth allows them.
#include "rlm/loop/run.hpp"

#include "policy.hpp"
#include "reasoning.hpp"
#include "run_scope.hpp"

#include "rlm/loop/reply.hpp"
#include "rlm/providers/reasoning.hpp"

#include <chrono>

namespace rlm::loop {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string joined_documents(const document::DocumentSet& documents) {
  std::string text;
  for (std::size_t i = 0; i < documents.documents().size(); ++i) {
    if (i > 0) text += "\n\n";
    text += documents.read(i);
  }
  return text;
}

// The document and the question in one call, for documents under bypass_threshold.
RunResult bypass(const RunScope& scope, const document::DocumentSet& documents,
                 const std::string& query) {
  const auto started = Clock::now();
  const auto& prompts = scope.context.prompts;
  auto& observer = scope.context.observer;
  const std::string user =
      "Document:\n<<<\n" + joined_documents(documents) + "\n>>>\n\nQuestion: " + query;
  observer.on_start({RunMode::bypass, scope.depth, prompts.bypass, user, scope.run, scope.origin});
  observer.on_model_call(1, scope.depth);
  const std::vector<providers::Message> messages = {{"system", prompts.bypass}, {"user", user}};
  RequestRecord request{scope.run, scope.depth, 1, 0, messages, messages.size()};
  observer.on_request(request);
  const auto reply = scope.ask_root(messages);
  RunResult result;
  result.mode = RunMode::bypass;
  result.seconds = since(started);
  if (!reply) {
    const bool cancelled = reply.error().kind == providers::ProviderError::Kind::cancelled;
    result.stop = cancelled ? StopReason::cancelled : StopReason::provider;
    result.message = cancelled ? "interrupted" : reply.error().message;
    if (!cancelled) result.provider_error = reply.error().kind;
    const auto spent = scope.budget.spending.spent();
    if (cancelled && !scope.cancelled() && spent) { // max_seconds ran out during the call
      result.stop = *spent;
      result.message = budget_message(*spent, scope.budget.spending, false);
    }
    return result;
  }
  IterationRecord record;
  record.number = 1;
  record.depth = scope.depth;
  record.reply = reply->response.text;
  record_reasoning(record, reply->response);
  record.provider = reply->provider;
  record.usage = reply->response.usage;
  record.prompt_truncated = reply->response.prompt_truncated;
  record.model_seconds = reply->response.seconds;
  record.seconds = result.seconds;
  record.run = scope.run;
  record.attempts = reply->attempts;
  record.cost = reply->cost;
  record.cached = reply->response.cached;
  observer.on_iteration(record);
  result.iterations = 1;
  if (providers::reasoning_only(reply->response)) { // no answer to print, and no turn to ask
    result.stop = StopReason::provider;
    result.message = no_answer_after_reasoning(reply->response, "root");
    result.provider_error = providers::ProviderError::Kind::empty_reply;
    return result;
  }
  result.answer = strip_fences(reply->response.text);
  result.answer_cut_short = reply->response.cut_short();
  result.answer_finish_reason = reply->response.finish_reason;
  return result;
}

bool is_small(const document::DocumentSet& documents, const RunSettings& settings) {
  return settings.bypass_enabled && settings.tools.empty() && // tools need the REPL
         total_chars(documents) < static_cast<std::uint64_t>(settings.bypass_threshold);
}

} // namespace

std::expected<providers::PoolAnswer, providers::ProviderError>
RunScope::ask_root(const std::vector<providers::Message>& messages, const std::atomic<bool>* cancel,
                   bool turn) const {
  providers::ChatRequest request;
  request.messages = messages;
  request.cancel = cancel != nullptr ? cancel : context.cancel;
  if (turn && root_role == config::Role::root && context.settings.stream_execution)
    request.end_early = code_closed_at;
  auto reply = context.pool.chat(root_role, request);
  if (reply) budget.spending.charge(reply->response.usage, reply->cost);
  return reply;
}

bool RunScope::cancelled() const { return interrupt != nullptr && interrupt->load(); }

std::uint64_t total_chars(const document::DocumentSet& documents) {
  std::uint64_t chars = 0;
  for (const auto& d : documents.documents()) chars += d.characters;
  const auto count = documents.documents().size();
  return chars + (count == 0 ? 0 : 2 * (count - 1));
}

// A nested run answers one sub-call prompt as its document, with the sub role as its root.
NestedRun nested_runs(const RunScope& scope) {
  if (scope.depth + 1 >= scope.context.settings.max_depth) return nullptr;
  return [&scope](const std::string& prompt,
                  const RunOrigin& origin) -> std::expected<std::string, std::string> {
    document::DocumentSet sub_documents;
    if (const auto added = sub_documents.add_text("sub-call prompt", prompt); !added)
      return std::unexpected(added.error().message);
    const RunScope inner{
        scope.context,           scope.budget, scope.depth + 1, config::Role::sub, scope.interrupt,
        ++scope.budget.last_run, origin};
    const auto result = run_loop(inner, sub_documents, scope.context.prompts.nested);
    if (result.answer) return *result.answer;
    // Its root is the sub role: a sub model that is missing (or a key) stops every run.
    if (result.stop == StopReason::provider && result.provider_error &&
        providers::repeats_every_call(*result.provider_error))
      scope.budget.stop({*result.provider_error, result.message});
    return std::unexpected("the nested run ended without an answer: " + result.message);
  };
}

const char* to_string(RunMode mode) { return mode == RunMode::bypass ? "bypass" : "rlm"; }

const char* to_string(StopReason reason) {
  switch (reason) {
  case StopReason::final_answer: return "final";
  case StopReason::max_iterations: return "max_iterations";
  case StopReason::max_cost: return "max_cost";
  case StopReason::max_seconds: return "max_seconds";
  case StopReason::max_tokens: return "max_tokens";
  case StopReason::errors: return "errors";
  case StopReason::provider: return "provider";
  case StopReason::cancelled: return "cancelled";
  case StopReason::failure: return "failure";
  }
  return "?";
}

bool is_budget(StopReason reason) {
  return reason == StopReason::max_cost || reason == StopReason::max_seconds ||
         reason == StopReason::max_tokens;
}

// The whole run's calls and cells are cancelled by Ctrl-C, and when max_seconds runs out.
RunResult run(const document::DocumentSet& documents, const std::string& query,
              const RunContext& context) {
  SubCallState budget;
  budget.limit = context.settings.max_sub_calls;
  budget.spending.limits = context.settings.budgets;
  const CancelAt cancel(context.cancel, budget.spending.deadline());
  auto bounded = context;
  bounded.cancel = cancel.flag();
  const RunScope scope{bounded, budget, 0, config::Role::root, context.cancel, 0, std::nullopt};
  auto result = is_small(documents, context.settings) ? bypass(scope, documents, query)
                                                      : run_loop(scope, documents, query);
  result.budgets = budget.spending.uses();
  return result;
}

} // namespace rlm::loop
