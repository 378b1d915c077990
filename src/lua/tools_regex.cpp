// The `re` table: regular expressions backed by RE2, which matches in time linear in the
// text (no catastrophic backtracking, whatever the pattern). Positions are 1-based byte
// offsets, as in Lua's string functions.
#include "regex_cache.hpp"
#include "sandbox.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

#include <array>
#include <type_traits>

namespace rlm::lua {

const re2::RE2* RegexCache::get(std::string_view pattern, bool multi_line) {
  auto& error = m_error;
  // RE2 parses outside its memory budget, in time that grows fast with the pattern's size.
  if (pattern.size() > k_max_pattern_bytes) {
    error =
        "the pattern has " + std::to_string(pattern.size()) + " bytes, more than the 32 KB allowed";
    return nullptr;
  }
  std::string key = multi_line ? "(?m)" : "";
  key.append(pattern);
  if (const auto it = m_compiled.find(key); it != m_compiled.end()) return it->second.get();
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(k_max_mem);
  auto compiled = std::make_unique<re2::RE2>(key, options);
  if (!compiled->ok()) {
    error = compiled->error();
    return nullptr;
  }
  if (m_compiled.size() >= k_capacity) m_compiled.clear();
  return m_compiled.emplace(std::move(key), std::move(compiled)).first->second.get();
}

namespace {

constexpr int k_max_groups = 32;
using Groups = std::array<re2::StringPiece, k_max_groups + 1>;

struct Subject {
  const char* data;
  std::size_t size;
};
// Alive while Lua API calls run (raise.hpp): they must own nothing.
static_assert(std::is_trivially_destructible_v<Groups> &&
              std::is_trivially_destructible_v<Subject>);

Subject check_subject(lua_State* L, int index) {
  std::size_t size = 0;
  const char* data = luaL_checklstring(L, index, &size);
  return {data, size};
}

// The compiled pattern at `index`, or a Lua error naming the problem.
const re2::RE2& check_pattern(lua_State* L, int index, const char* function) {
  std::size_t size = 0;
  const char* pattern = luaL_checklstring(L, index, &size);
  auto& sandbox = Sandbox::of(L);
  const auto* compiled = sandbox.regex_cache().get(std::string_view(pattern, size));
  if (compiled == nullptr) {
    luaL_error(L, "re.%s: bad pattern: %s (RE2 syntax: github.com/google/re2/wiki/Syntax)",
               function, sandbox.regex_cache().error().c_str());
  }
  if (compiled->NumberOfCapturingGroups() > k_max_groups) {
    luaL_error(L, "re.%s: more than %d capture groups", function, k_max_groups);
  }
  return *compiled;
}

// After a search that found nothing: a note when the pattern (argument 2) was written as a
// Lua pattern.
void note_if_lua_pattern(lua_State* L) {
  std::size_t size = 0;
  const char* pattern = lua_tolstring(L, 2, &size);
  Sandbox::of(L).note_if_lua_pattern(std::string_view(pattern, size));
}

// Finds the next match at or after `start`; fills `groups` (0 = whole match).
bool next_match(const re2::RE2& re, Subject s, std::size_t start, Groups& groups) {
  if (start > s.size) return false;
  const int count = re.NumberOfCapturingGroups() + 1;
  return re.Match(re2::StringPiece(s.data, s.size), start, s.size, re2::RE2::UNANCHORED,
                  groups.data(), count);
}

// After a match ending at `end`: where to search next (one character on after an empty match).
std::size_t advance(Subject s, const re2::StringPiece& match, std::size_t end) {
  if (!match.empty()) return end;
  std::size_t next = end + 1;
  while (next < s.size && (static_cast<unsigned char>(s.data[next]) & 0xC0) == 0x80) ++next;
  return next;
}

std::size_t offset_of(Subject s, const re2::StringPiece& piece) {
  return static_cast<std::size_t>(piece.data() - s.data);
}

void push_piece(lua_State* L, const re2::StringPiece& piece) {
  if (piece.data() == nullptr) {
    lua_pushnil(L); // a group that did not take part in the match
  } else {
    lua_pushlstring(L, piece.data(), piece.size());
  }
}

// Pushes the captures of a match (or the whole match when there are none); returns how many.
int push_captures(lua_State* L, const re2::RE2& re, const Groups& groups) {
  const int count = re.NumberOfCapturingGroups();
  if (count == 0) {
    push_piece(L, groups[0]);
    return 1;
  }
  luaL_checkstack(L, count, "too many captures");
  for (int i = 1; i <= count; ++i) push_piece(L, groups[static_cast<std::size_t>(i)]);
  return count;
}

std::size_t start_position(lua_State* L, int index, Subject s) {
  lua_Integer init = luaL_optinteger(L, index, 1);
  const auto size = static_cast<lua_Integer>(s.size);
  if (init < 0) init = std::max<lua_Integer>(size + init + 1, 1);
  if (init == 0) init = 1;
  return static_cast<std::size_t>(init - 1);
}

// What one rewrite adds: its literal bytes plus, for each \N, the size of group N. Known
// before building it, so one huge rewrite cannot allocate past the limit.
struct RewriteCost {
  std::array<std::size_t, 10> uses{};
  std::size_t literal = 0;

  std::size_t added(const Groups& groups) const {
    std::size_t bytes = literal;
    for (std::size_t g = 0; g < uses.size(); ++g) bytes += uses[g] * groups[g].size();
    return bytes;
  }
};
static_assert(std::is_trivially_destructible_v<RewriteCost>);

RewriteCost rewrite_cost(const re2::StringPiece& rewrite) {
  RewriteCost cost;
  for (std::size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] == '\\' && i + 1 < rewrite.size() && rewrite[i + 1] >= '0' &&
        rewrite[i + 1] <= '9') {
      ++cost.uses[static_cast<std::size_t>(rewrite[++i] - '0')];
    } else {
      if (rewrite[i] == '\\' && i + 1 < rewrite.size()) ++i; // an escaped character
      ++cost.literal;
    }
  }
  return cost;
}

} // namespace

namespace tools {

// re.find(s, pattern [, init]) -> start, end, captures... | nil
int re_find(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "find");
  Groups groups;
  if (!next_match(re, s, start_position(L, 3, s), groups)) {
    note_if_lua_pattern(L);
    lua_pushnil(L);
    return 1;
  }
  const auto begin = offset_of(s, groups[0]);
  lua_pushinteger(L, static_cast<lua_Integer>(begin + 1));
  lua_pushinteger(L, static_cast<lua_Integer>(begin + groups[0].size()));
  if (re.NumberOfCapturingGroups() == 0) return 2;
  return 2 + push_captures(L, re, groups);
}

// re.match(s, pattern [, init]) -> the captures, or the whole match | nil
int re_match(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "match");
  Groups groups;
  if (!next_match(re, s, start_position(L, 3, s), groups)) {
    note_if_lua_pattern(L);
    lua_pushnil(L);
    return 1;
  }
  return push_captures(L, re, groups);
}

// re.findall(s, pattern [, max]) -> {matches}: strings with 0 or 1 groups, tables with more.
int re_findall(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "findall");
  const lua_Integer max = luaL_optinteger(L, 3, LUA_MAXINTEGER);
  const int count = re.NumberOfCapturingGroups();
  lua_newtable(L);
  Groups groups;
  lua_Integer found = 0;
  for (std::size_t at = 0; found < max && next_match(re, s, at, groups);) {
    if (count <= 1) {
      push_piece(L, groups[static_cast<std::size_t>(count)]);
    } else {
      lua_createtable(L, count, 0);
      for (int i = 1; i <= count; ++i) {
        push_piece(L, groups[static_cast<std::size_t>(i)]);
        lua_rawseti(L, -2, i);
      }
    }
    lua_rawseti(L, -2, ++found);
    at = advance(s, groups[0], offset_of(s, groups[0]) + groups[0].size());
    if ((found & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
  }
  if (found == 0) note_if_lua_pattern(L);
  return 1;
}

// re.count(s, pattern) -> number of non-overlapping matches
int re_count(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "count");
  Groups groups;
  lua_Integer found = 0;
  for (std::size_t at = 0; next_match(re, s, at, groups); ++found) {
    at = advance(s, groups[0], offset_of(s, groups[0]) + groups[0].size());
    if ((found & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
  }
  if (found == 0) note_if_lua_pattern(L);
  lua_pushinteger(L, found);
  return 1;
}

// re.split(s, pattern [, max]) -> {pieces}; empty matches do not split.
int re_split(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "split");
  const lua_Integer max = luaL_optinteger(L, 3, LUA_MAXINTEGER);
  lua_newtable(L);
  Groups groups;
  lua_Integer pieces = 0;
  std::size_t piece_start = 0;
  for (std::size_t at = 0; pieces + 1 < max && next_match(re, s, at, groups);) {
    const auto begin = offset_of(s, groups[0]);
    const auto end = begin + groups[0].size();
    at = advance(s, groups[0], end);
    if (groups[0].empty()) continue;
    lua_pushlstring(L, s.data + piece_start, begin - piece_start);
    lua_rawseti(L, -2, ++pieces);
    piece_start = end;
    if ((pieces & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
  }
  lua_pushlstring(L, s.data + piece_start, s.size - piece_start);
  lua_rawseti(L, -2, ++pieces);
  return 1;
}

// re.replace(s, pattern, replacement [, max]) -> new string, count. \0..\9 in the
// replacement stand for the match and its groups. The result is built outside Lua's
// allocator, so it is bounded here by the memory limit.
int re_replace(lua_State* L) {
  const auto s = check_subject(L, 1);
  const auto& re = check_pattern(L, 2, "replace");
  std::size_t rewrite_size = 0;
  const char* rewrite_data = luaL_checklstring(L, 3, &rewrite_size);
  const lua_Integer max = luaL_optinteger(L, 4, LUA_MAXINTEGER);
  const re2::StringPiece rewrite(rewrite_data, rewrite_size);
  auto& sandbox = Sandbox::of(L);
  auto& out = sandbox.rewrite_buffer();
  out.clear();
  if (!re.CheckRewriteString(rewrite, &out)) {
    return luaL_error(L, "re.replace: bad replacement: %s", out.c_str());
  }
  out.clear();
  const auto limit = static_cast<std::size_t>(sandbox.limits().memory_limit_bytes) / 2;
  const auto cost = rewrite_cost(rewrite);
  Groups groups;
  lua_Integer replaced = 0;
  std::size_t copied_to = 0;
  for (std::size_t at = 0; replaced < max && next_match(re, s, at, groups); ++replaced) {
    const auto begin = offset_of(s, groups[0]);
    if (out.size() + (begin - copied_to) + cost.added(groups) > limit) {
      out = {};
      return luaL_error(L, "re.replace: the result would be over %d MB (half the memory limit)",
                        static_cast<int>(limit >> 20));
    }
    out.append(s.data + copied_to, begin - copied_to);
    re.Rewrite(&out, rewrite, groups.data(), re.NumberOfCapturingGroups() + 1);
    copied_to = begin + groups[0].size();
    const auto next = advance(s, groups[0], copied_to);
    if (groups[0].empty() && next > copied_to && next <= s.size) { // keep the skipped character
      out.append(s.data + copied_to, next - copied_to);
      copied_to = next;
    }
    at = next;
    if ((replaced & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
  }
  out.append(s.data + copied_to, s.size - copied_to);
  lua_pushlstring(L, out.data(), out.size());
  out = {};
  lua_pushinteger(L, replaced);
  return 2;
}

} // namespace tools

} // namespace rlm::lua
