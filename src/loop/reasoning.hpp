// What the loop does with a thinking model's reasoning (the providers have already taken it
// out of the answer: providers/reasoning.hpp): records it, and nudges a reply that was all
// reasoning instead of calling it a reply without code.
#pragma once

#include "policy.hpp"

#include "rlm/loop/run.hpp"
#include "rlm/providers/provider.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rlm::loop {

// Reasoning kept per turn in the trajectory; the rest is cut, with a marker saying how much.
inline constexpr std::size_t k_recorded_reasoning_bytes = 64 * 1024;

// The reasoning as the trajectory keeps it.
std::string recorded_reasoning(std::string_view reasoning);

// Fills the turn's reasoning fields from the reply.
void record_reasoning(IterationRecord& record, const providers::ChatResponse& response);

// A reply with reasoning and no answer: the note the model reads and the error that counts
// against the error streak. Nothing for any other reply.
std::optional<NoCode> reasoning_only_nudge(const providers::ChatResponse& response);

// A call answered with reasoning only, where no turn can follow (a sub-call, a bypass): the
// error, for the model of `role` ("sub", "root").
std::string no_answer_after_reasoning(const providers::ChatResponse& response,
                                      std::string_view role);

} // namespace rlm::loop
