#include "rlm/util/logging.hpp"

#include <gtest/gtest.h>

namespace rlm {
namespace {

using spdlog::level::level_enum;

Environment rlm_log(std::optional<std::string> value) {
  return [=](std::string_view name) { return name == "RLM_LOG" ? value : std::nullopt; };
}

TEST(LogLevel, DefaultIsWarnings) {
  EXPECT_EQ(effective_log_level({}, rlm_log(std::nullopt)), level_enum::warn);
}

TEST(LogLevel, EnvironmentSetsTheLevel) {
  EXPECT_EQ(effective_log_level({}, rlm_log("debug")), level_enum::debug);
  EXPECT_EQ(effective_log_level({}, rlm_log("off")), level_enum::off);
}

TEST(LogLevel, UnknownEnvironmentValueFallsBackToWarnings) {
  EXPECT_EQ(effective_log_level({}, rlm_log("loud")), level_enum::warn);
}

TEST(LogLevel, FlagsWinOverEnvironment) {
  EXPECT_EQ(effective_log_level({.verbose = 2, .quiet = false}, rlm_log("error")),
            level_enum::debug);
  EXPECT_EQ(effective_log_level({.verbose = 0, .quiet = true}, rlm_log("trace")), level_enum::err);
  EXPECT_EQ(effective_log_level({.verbose = 5, .quiet = false}, rlm_log(std::nullopt)),
            level_enum::trace);
  EXPECT_EQ(effective_log_level({.verbose = 1, .quiet = false}, rlm_log(std::nullopt)),
            level_enum::info);
}

} // namespace
} // namespace rlm
