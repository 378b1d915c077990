// The prompts compiled into the binary from prompts/*.md (cmake/EmbedPrompts.cmake).
#pragma once

#include <string_view>

namespace rlm::loop {

extern const std::string_view k_builtin_system;
extern const std::string_view k_builtin_bypass;
extern const std::string_view k_builtin_final;
extern const std::string_view k_builtin_nested;
extern const std::string_view k_builtin_system_compact;

} // namespace rlm::loop
