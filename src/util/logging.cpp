#include "rlm/util/logging.hpp"

#include "rlm/util/display.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace rlm {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  using spdlog::level::level_enum;
  static constexpr std::array<std::pair<std::string_view, level_enum>, 8> names = {{
      {"trace", level_enum::trace},
      {"debug", level_enum::debug},
      {"info", level_enum::info},
      {"warn", level_enum::warn},
      {"warning", level_enum::warn},
      {"error", level_enum::err},
      {"critical", level_enum::critical},
      {"off", level_enum::off},
  }};
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [text, level] : names) {
    if (text == lower) return level;
  }
  return std::nullopt;
}

spdlog::level::level_enum effective_log_level(Verbosity verbosity, const Environment& env) {
  using spdlog::level::level_enum;
  if (verbosity.quiet) return level_enum::err;
  if (verbosity.verbose >= 3) return level_enum::trace;
  if (verbosity.verbose == 2) return level_enum::debug;
  if (verbosity.verbose == 1) return level_enum::info;
  if (const auto name = env("RLM_LOG"); name && !name->empty()) {
    if (const auto level = parse_log_level(*name)) return *level;
  }
  return level_enum::warn;
}

void init_logging(Verbosity verbosity, const Environment& env) {
  auto logger = spdlog::stderr_color_mt("rlm");
  logger->set_pattern("rlm: %^%l%$: %v");
  logger->set_level(effective_log_level(verbosity, env));
  spdlog::set_default_logger(logger);
  if (const auto name = env("RLM_LOG"); name && !name->empty() && !parse_log_level(*name)) {
    spdlog::warn("RLM_LOG={} is not a log level; use trace, debug, info, warn, error or off",
                 *name);
  }
}

} // namespace rlm
