// One run, the top level or one nested in a sub-call, and what it shares with the runs it
// starts: the context (pool, prompts, settings, observer, Ctrl-C), the sub-call budget and
// its failures, and how deep it is.
#pragma once

#include "sub_calls.hpp"

#include "rlm/loop/run.hpp"

namespace rlm::loop {

struct RunScope {
  const RunContext& context;
  SubCallState& budget;
  int depth = 0;
  config::Role root_role = config::Role::root; // nested runs' root is the sub role

  std::expected<providers::PoolAnswer, providers::ProviderError>
  ask_root(const std::vector<providers::Message>& messages) const;
  bool cancelled() const;
};

// Runs nested in sub-calls of `scope`, when max_depth allows (else empty).
NestedRun nested_runs(const RunScope& scope);

// The loop over `documents` (rlm_loop.cpp).
RunResult run_loop(const RunScope& scope, const document::DocumentSet& documents,
                   const std::string& query);

// The sum of the documents' characters, as the model is told it.
std::uint64_t total_chars(const document::DocumentSet& documents);

} // namespace rlm::loop
