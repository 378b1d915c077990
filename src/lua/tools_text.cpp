// Text helpers models reach for: lines of the document, UTF-8-safe slices, chunks by size
// or by lines, and a grep that returns line numbers with surrounding lines.
#include "regex_cache.hpp"
#include "sandbox.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace rlm::lua {

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// 1-based index `i` (negative counts from the end) as a 0-based position in [0, size].
std::size_t position(lua_Integer i, std::size_t size) {
  const auto n = static_cast<lua_Integer>(size);
  if (i < 0) i = n + i + 1;
  return static_cast<std::size_t>(std::clamp<lua_Integer>(i, 1, n + 1) - 1);
}

// Lines in the context: a last line without "\n" counts, an empty one after it does not.
lua_Integer line_count(lua_State* L, Sandbox& sandbox) {
  auto count = static_cast<lua_Integer>(sandbox.line_starts(L).size());
  if (!sandbox.context().empty() && sandbox.context().back() == '\n') --count;
  return count;
}

// Line `n` of the context (1-based, negative from the end) as [begin, end) without "\n".
bool line_span(lua_State* L, Sandbox& sandbox, lua_Integer n, std::size_t& begin,
               std::size_t& end) {
  const auto& starts = sandbox.line_starts(L);
  const auto text = sandbox.context();
  const auto count = line_count(L, sandbox);
  if (n < 0) n = count + n + 1;
  if (n < 1 || n > count) return false;
  begin = starts[static_cast<std::size_t>(n - 1)];
  end = static_cast<std::size_t>(n) < starts.size() ? starts[static_cast<std::size_t>(n)] - 1
                                                    : text.size();
  return true;
}

// Where a chunk starting at `begin` of at most `size` bytes should end: at a newline in its
// last fifth when there is one, else at a character boundary.
std::size_t chunk_end(const char* s, std::size_t length, std::size_t begin, std::size_t size) {
  std::size_t end = std::min(length, begin + size);
  if (end == length) return end;
  const std::size_t floor = begin + size - size / 5;
  for (std::size_t i = end; i > floor; --i) {
    if (s[i - 1] == '\n') return i;
  }
  while (end > begin + 1 && is_continuation(s[end])) --end;
  while (end < length && is_continuation(s[end])) ++end; // size under one character: take it whole
  return end;
}

struct GrepRequest {
  std::string_view pattern; // a Lua string's bytes, kept alive by the stack
  const re2::RE2* re;
  lua_Integer reach; // lines around each hit
  lua_Integer max;
};
static_assert(std::is_trivially_destructible_v<GrepRequest>);

GrepRequest check_grep_request(lua_State* L) {
  std::size_t pattern_size = 0;
  const char* pattern = luaL_checklstring(L, 1, &pattern_size);
  const lua_Integer around = luaL_optinteger(L, 2, 0);
  const lua_Integer max = luaL_optinteger(L, 3, 100);
  luaL_argcheck(L, around >= 0, 2, "lines around must be 0 or more");
  auto& sandbox = Sandbox::of(L);
  const auto* re = sandbox.regex_cache().get(std::string_view(pattern, pattern_size), true);
  if (re == nullptr) {
    luaL_error(L, "grep: bad pattern: %s (grep takes RE2 regexes, not Lua patterns)",
               sandbox.regex_cache().error().c_str());
  }
  return {{pattern, pattern_size},
          re,
          std::min<lua_Integer>(around, 1 << 30),
          max}; // no overflow in line +/- reach
}

struct Window {
  lua_Integer reach;
  lua_Integer count; // lines in the document
};

// Pushes lines first..last of the context joined by "\n" ("" when first > last).
void push_lines(lua_State* L, Sandbox& sandbox, lua_Integer first, lua_Integer last) {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t ignored = 0;
  if (first > last || !line_span(L, sandbox, first, begin, ignored) ||
      !line_span(L, sandbox, last, ignored, end)) {
    lua_pushliteral(L, "");
    return;
  }
  lua_pushlstring(L, sandbox.context().data() + begin, end - begin);
}

void set_integer(lua_State* L, const char* field, lua_Integer value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, field);
}

// Pushes the hit for line `n`: its own text, and the lines around it apart.
void push_hit(lua_State* L, Sandbox& sandbox, lua_Integer n, Window window) {
  const auto first = std::max<lua_Integer>(1, n - window.reach);
  const auto last = std::max(n, std::min(n + window.reach, window.count));
  lua_createtable(L, 0, 6);
  set_integer(L, "line", n);
  set_integer(L, "first", first);
  set_integer(L, "last", last);
  push_lines(L, sandbox, n, n);
  lua_setfield(L, -2, "text");
  push_lines(L, sandbox, first, n - 1);
  lua_setfield(L, -2, "before");
  push_lines(L, sandbox, n + 1, last);
  lua_setfield(L, -2, "after");
}

int describe_grep_result(lua_State* L) {
  lua_getfield(L, 1, "total");
  const auto total = lua_tointeger(L, -1);
  const auto shown = static_cast<lua_Integer>(lua_rawlen(L, 1));
  if (shown < total) {
    lua_pushfstring(L, "grep result: %I of %I matching lines (cut by max; .total = %I)", shown,
                    total, total);
  } else {
    lua_pushfstring(L, "grep result: %I matching lines", total);
  }
  return 1;
}

// Gives the result (on top) its `total`, and a __tostring that says when max cut it.
void finish_grep_result(lua_State* L, lua_Integer hits, lua_Integer total) {
  set_integer(L, "total", total);
  if (luaL_newmetatable(L, "rlm.grep_result") != 0) {
    lua_pushcfunction(L, describe_grep_result);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "grep result"); // shared by every result: not for a cell to change
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
  if (hits < total) Sandbox::of(L).note_capped_grep(hits, total);
}

} // namespace

namespace tools {

// line(n) -> the text of line n of `context` (negative: from the end) | nil
int line(lua_State* L) {
  auto& sandbox = Sandbox::of(L);
  std::size_t begin = 0;
  std::size_t end = 0;
  if (!line_span(L, sandbox, luaL_checkinteger(L, 1), begin, end)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, sandbox.context().data() + begin, end - begin);
  return 1;
}

// lines(i [, j]) -> lines i..j of `context` joined by "\n" (clamped to the document)
int lines(lua_State* L) {
  auto& sandbox = Sandbox::of(L);
  const auto count = line_count(L, sandbox);
  lua_Integer first = luaL_checkinteger(L, 1);
  lua_Integer last = luaL_optinteger(L, 2, first);
  if (first < 0) first = count + first + 1;
  if (last < 0) last = count + last + 1;
  first = std::max<lua_Integer>(first, 1);
  last = std::min(last, count);
  push_lines(L, sandbox, first, last);
  return 1;
}

// slice(s, i [, j]) -> like s:sub(i, j) (bytes, negative from the end), widened so that no
// UTF-8 character is cut in half.
int slice(lua_State* L) {
  std::size_t size = 0;
  const char* s = luaL_checklstring(L, 1, &size);
  std::size_t begin = position(luaL_checkinteger(L, 2), size);
  lua_Integer j = luaL_optinteger(L, 3, -1);
  if (j < 0) j = std::max<lua_Integer>(static_cast<lua_Integer>(size) + j + 1, 0); // as string.sub
  auto end = static_cast<std::size_t>(std::min<lua_Integer>(j, static_cast<lua_Integer>(size)));
  if (begin >= end) {
    lua_pushliteral(L, "");
    return 1;
  }
  while (begin > 0 && is_continuation(s[begin])) --begin;
  while (end < size && is_continuation(s[end])) ++end;
  lua_pushlstring(L, s + begin, end - begin);
  return 1;
}

// chunk(s, size [, overlap]) -> {pieces} of at most `size` bytes, each starting `overlap`
// bytes before the previous one ended
int chunk(lua_State* L) {
  std::size_t length = 0;
  const char* s = luaL_checklstring(L, 1, &length);
  const lua_Integer size = luaL_checkinteger(L, 2);
  const lua_Integer overlap = luaL_optinteger(L, 3, 0);
  luaL_argcheck(L, size > 0, 2, "chunk size must be positive");
  luaL_argcheck(L, overlap >= 0 && overlap < size, 3,
                "overlap must be at least 0 and less than the size");
  lua_newtable(L);
  lua_Integer n = 0;
  for (std::size_t begin = 0; begin < length;) {
    const auto end = chunk_end(s, length, begin, static_cast<std::size_t>(size));
    lua_pushlstring(L, s + begin, end - begin);
    lua_rawseti(L, -2, ++n);
    if ((n & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
    if (end >= length) break;
    std::size_t next =
        end > static_cast<std::size_t>(overlap) ? end - static_cast<std::size_t>(overlap) : 0;
    while (next > 0 && is_continuation(s[next])) --next;
    begin = std::max(next, begin + 1);
  }
  return 1;
}

// chunk_lines(s, n [, overlap]) -> {pieces} of n lines each, overlapping by `overlap` lines
int chunk_lines(lua_State* L) {
  std::size_t length = 0;
  const char* s = luaL_checklstring(L, 1, &length);
  const lua_Integer per_chunk = luaL_checkinteger(L, 2);
  const lua_Integer overlap = luaL_optinteger(L, 3, 0);
  luaL_argcheck(L, per_chunk > 0, 2, "lines per chunk must be positive");
  luaL_argcheck(L, overlap >= 0 && overlap < per_chunk, 3,
                "overlap must be at least 0 and less than the lines per chunk");
  lua_newtable(L);
  lua_Integer n = 0;
  std::size_t begin = 0;
  while (begin < length) {
    // Walk forward per_chunk lines; remember where the overlap starts.
    std::size_t end = begin;
    std::size_t next = begin;
    for (lua_Integer line = 0; line < per_chunk && end < length; ++line) {
      const auto* nl = static_cast<const char*>(std::memchr(s + end, '\n', length - end));
      end = nl == nullptr ? length : static_cast<std::size_t>(nl - s) + 1;
      if (line + 1 == per_chunk - overlap) next = end;
    }
    lua_pushlstring(L, s + begin, end - begin);
    lua_rawseti(L, -2, ++n);
    if ((n & 0xFFF) == 0) Sandbox::of(L).check_deadline(L);
    if (end >= length) break;
    begin = next > begin ? next : end;
  }
  return 1;
}

// grep(pattern [, around [, max]]) -> {hit, ..., total = n}: one hit per matching line of
// `context`, at most `max` (default 100). A hit is {line = n, text = line n, before = lines
// n-around..n-1, after = lines n+1..n+around, first = , last = } so that line(h.line) ==
// h.text always; `total` counts every matching line, also those past `max`.
int grep(lua_State* L) {
  const GrepRequest request = check_grep_request(L);
  auto& sandbox = Sandbox::of(L);
  const auto text = sandbox.context();
  const auto& starts = sandbox.line_starts(L);
  const auto count = line_count(L, sandbox);
  lua_newtable(L);
  lua_Integer hits = 0;
  lua_Integer total = 0;
  re2::StringPiece match;
  for (std::size_t at = 0;
       at <= text.size() && request.re->Match(re2::StringPiece(text.data(), text.size()), at,
                                              text.size(), re2::RE2::UNANCHORED, &match, 1);) {
    const auto offset = static_cast<std::uint64_t>(match.data() - text.data());
    const auto line_index = static_cast<std::size_t>(
        std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin());
    if (++total <= request.max) {
      push_hit(L, sandbox, static_cast<lua_Integer>(line_index), {request.reach, count});
      lua_rawseti(L, -2, ++hits);
    }
    if ((total & 0xFF) == 0) sandbox.check_deadline(L);
    at = line_index < starts.size() ? starts[line_index] : text.size() + 1; // next line
  }
  finish_grep_result(L, hits, total);
  if (total == 0) sandbox.note_if_lua_pattern(request.pattern);
  return 1;
}

} // namespace tools

} // namespace rlm::lua
