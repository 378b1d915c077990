// Thinking models (qwen3 and deepseek-r1 on Ollama, DeepSeek's API, llama.cpp and vLLM with a
// reasoning parser): their reasoning, wherever the server put it, kept out of the answer, so
// that code written while thinking is never run and reasoning never goes back in the history.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/providers/provider.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace rlm::providers {

struct SplitText {
  std::string reasoning;
  std::string answer;
};

// The <think>...</think> blocks of a reply's text, and the text without them. Also read as
// reasoning: everything before a `</think>` that no `<think>` opened (the chat template put
// the opening tag in the prompt, as deepseek-r1's does), and everything after a `<think>`
// that never closed (a reply cut while thinking). Text with neither tag is all answer.
SplitText split_reasoning(std::string_view text);

// Moves reasoning written in `text` into `thinking` (after any the server sent apart), and
// fills usage.reasoning_tokens, estimated, when the server did not count them. Calling it
// again changes nothing.
void separate_reasoning(ChatResponse& response);

// Reasoning and nothing else: the reply has no answer after its thinking.
bool reasoning_only(const ChatResponse& response);

// The least completion limit asked of a model that reasons, since reasoning counts against
// max_tokens; fitting the window (context_window) may still lower it.
inline constexpr std::int64_t k_reasoning_max_tokens = 8192;

// The completion limit to ask for: the request's own when it names one, else the provider's
// max_tokens, raised to k_reasoning_max_tokens when the model reasons: `think` is on (or a
// level), or is unset and an earlier reply from this provider held reasoning.
std::int64_t completion_limit(const config::ProviderConfig& settings, const ChatRequest& request,
                              bool saw_reasoning);

} // namespace rlm::providers
