#include "rlm/util/environment.hpp"

#include <cstdlib>

namespace rlm {

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value =
        std::getenv(std::string(name).c_str()); // NOLINT(concurrency-mt-unsafe): read-only use
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

} // namespace rlm
