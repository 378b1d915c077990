// Read access to environment variables through a function, so tests can supply their own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rlm {

// Returns the value of a variable, or nothing when it is unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The process's real environment.
Environment process_environment();

} // namespace rlm
