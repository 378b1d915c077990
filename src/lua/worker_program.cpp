#include "worker_program.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace rlm::lua {

std::string worker_program() {
  if (const char* named = std::getenv("RLM_WORKER_PATH"); named != nullptr && *named != '\0')
    return named;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  return (self.parent_path() / "rlm-worker").string();
}

} // namespace rlm::lua
