// One run, the top level or one nested in a sub-call, and what it shares with the runs it
// starts: the context (pool, prompts, settings, observer, the cancel flag), the sub-call
// budget and its failures, what the runs spent against the user's budgets, and how deep it
// is. The context's cancel flag is set by Ctrl-C and, when max_seconds is set, when it runs
// out; `interrupt` is Ctrl-C's alone.
#pragma once

#include "sub_calls.hpp"

#include "rlm/loop/run.hpp"

namespace rlm::loop {

struct RunScope {
  const RunContext& context;
  SubCallState& budget;
  int depth = 0;
  config::Role root_role = config::Role::root;    // nested runs' root is the sub role
  const std::atomic<bool>* interrupt = nullptr;   // Ctrl-C
  int run = 0;                                    // 0 at the top; nested runs from 1
  std::optional<RunOrigin> origin = std::nullopt; // the sub-call a nested run answers

  // The root model's reply, its tokens and cost charged to the budgets. `cancel`: the flag
  // that stops the call (default: the context's). `turn`: a loop turn, whose streaming reply
  // ends once its code block closes (when stream_execution is on).
  std::expected<providers::PoolAnswer, providers::ProviderError>
  ask_root(const std::vector<providers::Message>& messages,
           const std::atomic<bool>* cancel = nullptr, bool turn = false) const;
  bool cancelled() const; // by Ctrl-C
};

// Runs nested in sub-calls of `scope`, when max_depth allows (else empty).
NestedRun nested_runs(const RunScope& scope);

// The loop over `documents` (rlm_loop.cpp).
RunResult run_loop(const RunScope& scope, const document::DocumentSet& documents,
                   const std::string& query);

// The sum of the documents' characters, as the model is told it.
std::uint64_t total_chars(const document::DocumentSet& documents);

} // namespace rlm::loop
