// Compiled RE2 patterns, kept between calls so a loop over chunks compiles its pattern once.
#pragma once

#include <re2/re2.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace rlm::lua {

class RegexCache {
public:
  // The compiled `pattern`, or nullptr with error() set to RE2's explanation. With
  // `multi_line`, ^ and $ match at every line's start and end, as in grep.
  const re2::RE2* get(std::string_view pattern, bool multi_line = false);
  // Why the last get() gave nullptr.
  const std::string& error() const { return m_error; }

private:
  // RE2 keeps each pattern's program and DFA cache outside Lua's allocator: at most
  // k_capacity patterns of at most k_max_mem each, 256 MB in all.
  static constexpr std::size_t k_capacity = 32;
  static constexpr std::int64_t k_max_mem = 8 << 20;
  static constexpr std::size_t k_max_pattern_bytes = 32 << 10;
  std::map<std::string, std::unique_ptr<re2::RE2>, std::less<>> m_compiled;
  std::string m_error;
};

} // namespace rlm::lua
