// Helpers for configuration tests: parse TOML text and pick out its diagnostics.
#pragma once

#include "rlm/config/load.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rlm::config::testing {

inline LoadResult parse(const std::string& text) { return parse_config(text, "test.toml"); }

// A valid provider table, to complete configs that test something else.
inline const std::string k_root_provider =
    "[[providers]]\nprovider_type = \"ollama\"\nmodel = \"m\"\nrole = \"root\"\n";

inline std::string all_formatted(const LoadResult& result) {
  std::string out;
  for (const auto& d : result.diagnostics) out += format(d) + "\n";
  return out;
}

// The single diagnostic of `result`; fails the test when there is not exactly one.
inline Diagnostic only_diagnostic(const LoadResult& result) {
  EXPECT_EQ(result.diagnostics.size(), 1U) << all_formatted(result);
  return result.diagnostics.empty() ? Diagnostic{} : result.diagnostics.front();
}

} // namespace rlm::config::testing
