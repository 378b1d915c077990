// How each protocol asks a thinking model to think, or not (`think` in the config; unset
// sends nothing and leaves it to the server):
// - Ollama: `"think": true|false|"low"|"medium"|"high"|"max"` (api/types.go, ThinkValue).
// - DeepSeek: `"thinking": {"type": "enabled"|"disabled"}`, and `"reasoning_effort"` for a
//   level (its thinking-mode guide).
// - other OpenAI-compatible servers: `"chat_template_kwargs": {"enable_thinking": bool}`
//   (llama.cpp's server and vLLM pass it to the chat template; Qwen3's reads it), and
//   `"reasoning_effort"` for a level (vLLM, Ollama's /v1).
#pragma once

#include "rlm/config/config.hpp"

#include <nlohmann/json.hpp>

namespace rlm::providers {

// Adds the provider's think setting, if any, to an Ollama /api/chat request body.
void add_ollama_think(nlohmann::json& body, const config::ProviderConfig& settings);

// Adds it to an OpenAI-compatible /chat/completions request body.
void add_openai_think(nlohmann::json& body, const config::ProviderConfig& settings);

} // namespace rlm::providers
