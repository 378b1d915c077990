// What one llm_query_batched may ask: the worker's tools refuse more, and the parent refuses
// a query frame over these limits as a misbehaving worker's (it could be compromised).
#pragma once

#include <cstddef>

namespace rlm::lua {

inline constexpr std::size_t k_max_prompt_bytes = 4 << 20;
inline constexpr std::size_t k_max_batch_bytes = 8 << 20;
inline constexpr std::size_t k_max_batch_prompts = 1000;

} // namespace rlm::lua
