#include "hints.hpp"

#include "rlm/loop/reply.hpp"
#include "rlm/lua/tool_registry.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <utility>

namespace rlm::loop {

namespace {

using Kind = lua::CellError::Kind;

// The name in "(global 'len')", "(field 'append')" or "(method 'split')" of a Lua error.
std::optional<std::string_view> named(std::string_view message, std::string_view what) {
  const auto marker = fmt::format("({} '", what);
  const auto at = message.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const auto begin = at + marker.size();
  const auto end = message.find("')", begin);
  if (end == std::string_view::npos) return std::nullopt;
  return message.substr(begin, end - begin);
}

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Python's builtins and what Lua writes instead, for "attempt to call a nil value (global 'x')".
constexpr std::array<std::pair<std::string_view, std::string_view>, 19> k_globals = {{
    {"len", "Lua has no len(): the length of a string or table is #x (e.g. #context)"},
    {"io", "there is no io library here: print(a, b) writes the output, and "
           "string.format('%d items', n) formats"},
    {"require", "nothing needs require: string, table, math, utf8, re and rlm's tools (grep, "
                "llm_query, ...) are already loaded"},
    {"range", "Lua counts with for i = 1, n do ... end, and walks a table with "
              "for i, v in ipairs(t) do ... end"},
    {"enumerate", "for i, v in ipairs(t) do ... end gives each index and value"},
    {"str", "Lua writes tostring(x)"},
    {"int", "Lua writes math.tointeger(x), or tonumber(s) for a string"},
    {"float", "Lua writes tonumber(s)"},
    {"sorted", "table.sort(t) sorts the table in place (table.sort(t, function(a, b) return a > "
               "b end) for another order)"},
    {"max", "Lua writes math.max(a, b, ...)"},
    {"min", "Lua writes math.min(a, b, ...)"},
    {"abs", "Lua writes math.abs(x)"},
    {"sum", "Lua has no sum(): add in a loop, local s = 0 for _, v in ipairs(t) do s = s + v end"},
    {"open", "there are no files here: the document is already in `context`"},
    {"json", "there is no json library: build the text with string.format or table.concat"},
    {"None", "Lua writes nil, true and false (lowercase); None, True and False are unknown names, "
             "so they are nil"},
    {"True", "Lua writes nil, true and false (lowercase); None, True and False are unknown names, "
             "so they are nil"},
    {"False", "Lua writes nil, true and false (lowercase); None, True and False are unknown names, "
              "so they are nil"},
    {"null", "Lua writes nil"},
}};

// Python's methods of lists, dicts and strings, for "(method 'x')" and "(field 'x')".
constexpr std::array<std::pair<std::string_view, std::string_view>, 12> k_methods = {{
    {"append", "Lua tables have no append: use table.insert(t, x), or t[#t + 1] = x"},
    {"extend", "Lua tables have no extend: table.move(b, 1, #b, #a + 1, a) appends b to a"},
    {"split", "Lua strings have no split: use re.split(s, pattern), or "
              "for part in s:gmatch('[^,]+') do ... end"},
    {"join", "Lua writes table.concat(t, ', ') to join a table of strings"},
    {"strip", "Lua strings have no strip: s:match('^%s*(.-)%s*$') trims them"},
    {"startswith", "Lua strings have no startswith: write s:sub(1, #prefix) == prefix"},
    {"endswith", "Lua strings have no endswith: write s:sub(-#suffix) == suffix"},
    {"replace", "Lua writes s:gsub(old, new) (a Lua pattern) or re.replace(s, pattern, new)"},
    {"count", "Lua writes re.count(s, pattern) to count matches"},
    {"items", "Lua walks a table with for k, v in pairs(t) do ... end"},
    {"keys", "Lua walks a table's keys with for k in pairs(t) do ... end"},
    {"values", "Lua walks a table's values with for _, v in pairs(t) do ... end"},
}};

constexpr std::array<std::string_view, 13> k_string_functions = {
    "byte",  "char",  "find", "format",  "gmatch", "gsub", "len",
    "lower", "match", "rep",  "reverse", "sub",    "upper"};

std::optional<std::string> lookup(const auto& table, std::string_view name) {
  for (const auto& [key, hint] : table) {
    if (key == name) return std::string(hint);
  }
  return std::nullopt;
}

// "bad argument #2 to 'grep' (number expected, got nil)" -> {2, "grep", "got nil"}.
struct BadArgument {
  int position = 0;
  std::string_view function;
  std::string_view detail;
};

std::optional<BadArgument> bad_argument(std::string_view message) {
  const auto at = message.find("bad argument #");
  if (at == std::string_view::npos) return std::nullopt;
  BadArgument bad;
  auto i = at + 14;
  while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])))
    bad.position = bad.position * 10 + (message[i++] - '0');
  const auto open = message.find(" to '", i);
  const auto close = open == std::string_view::npos ? open : message.find('\'', open + 5);
  if (close == std::string_view::npos) return std::nullopt;
  bad.function = message.substr(open + 5, close - open - 5);
  bad.detail = message.substr(close + 1);
  return bad;
}

// Argument `position` of "s, pattern, init".
std::string_view argument_name(std::string_view arguments, int position) {
  for (int i = 1; !arguments.empty(); ++i) {
    const auto comma = arguments.find(", ");
    if (i == position) return arguments.substr(0, comma);
    if (comma == std::string_view::npos) break;
    arguments.remove_prefix(comma + 2);
  }
  return {};
}

// A tool called as grep(...) or re.find(...): its error names "grep" or "find".
const lua::Tool* tool_named(std::string_view function) {
  for (const auto& tool : lua::k_tools) {
    if (tool.kind != lua::ToolKind::function || tool.arguments == "...") continue;
    const auto dot = tool.name.find('.');
    const auto short_name = dot == std::string_view::npos ? tool.name : tool.name.substr(dot + 1);
    if (tool.name == function || short_name == function) return &tool;
  }
  return nullptr;
}

std::optional<std::string> bad_argument_hint(std::string_view message) {
  const auto bad = bad_argument(message);
  if (!bad) return std::nullopt;
  const bool missing = has(bad->detail, "got nil") || has(bad->detail, "got no value");
  if (const auto* tool = tool_named(bad->function); tool != nullptr && missing) {
    return fmt::format("{}({}): argument {}, `{}`, is nil; a misspelled or unset name is nil in "
                       "Lua",
                       tool->name, tool->arguments, bad->position,
                       argument_name(tool->arguments, bad->position));
  }
  const bool string_function =
      std::ranges::find(k_string_functions, bad->function) != k_string_functions.end();
  if (string_function && bad->position == 1 && has(bad->detail, "got no value"))
    return fmt::format("call string methods with a colon: s:{}(...); s.{}(...) passes no string",
                       bad->function, bad->function);
  if (bad->function == "format" && missing)
    return "a value given to string.format is nil: a misspelled or unset name is nil in Lua; "
           "check it, or print it with %s and tostring(x)";
  return std::nullopt;
}

std::optional<std::string> nil_value_hint(std::string_view code, std::string_view message) {
  if (!has(message, "a nil value")) return std::nullopt;
  if (has(code, "[0]")) return "Lua tables start at 1: the first element is t[1], and t[0] is nil";
  const auto global = named(message, "global");
  if (global) {
    if (*global == "f" && (has(code, "f\"") || has(code, "f'")))
      return "Lua has no f-strings: write string.format('%s has %d', name, n), or 'a' .. x";
    if (auto hint = lookup(k_globals, *global)) return hint;
  }
  for (const auto* what : {"method", "field"}) {
    if (const auto name = named(message, what)) {
      if (auto hint = lookup(k_methods, *name)) return hint;
    }
  }
  if (global && has(message, "attempt to call"))
    return fmt::format("`{}` is not defined: the REPL has Lua 5.4's standard library (without "
                       "io, os.execute or require) and rlm's tools",
                       *global);
  if (global)
    return fmt::format("`{}` is nil: a misspelled name, or a variable a cell never set (one "
                       "that failed before setting it)",
                       *global);
  return std::nullopt;
}

bool line_starts_with(std::string_view code, std::string_view prefix) {
  for (std::size_t at = 0; at < code.size();) {
    auto end = code.find('\n', at);
    if (end == std::string_view::npos) end = code.size();
    auto line = code.substr(at, end - at);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.starts_with(prefix)) return true;
    at = end + 1;
  }
  return false;
}

std::optional<std::string> syntax_hint(std::string_view code, std::string_view message) {
  if (auto python = wrong_language_hint(code)) return python;
  if (has(code, "!=") && has(message, "near '!'"))
    return "Lua writes not-equal as ~= (and `not x` for !x)";
  for (const auto* op : {"+=", "-=", "*=", "/=", "..="}) {
    if (has(code, op) && has(message, "syntax error near"))
      return "Lua has no += or -=: write x = x + 1";
  }
  if (line_starts_with(code, "//") || line_starts_with(code, "# "))
    return "comments start with -- in Lua (--[[ ... ]] for several lines)";
  if (has(code, "\".join(") || has(code, "'.join("))
    return "Lua writes table.concat(t, ', ') to join a table of strings";
  if (has(message, "invalid escape sequence"))
    return "Lua strings do not know \\d, \\w or \\s: write an RE2 regex as [[\\d+]] (or "
           "\"\\\\d+\"); a Lua pattern writes %d";
  return std::nullopt;
}

std::optional<std::string> lua_pattern_hint(std::string_view message) {
  for (const auto* part : {"malformed pattern", "unfinished capture", "invalid capture index",
                           "missing '['", "invalid pattern capture"}) {
    if (has(message, part))
      return "string.find and string.match take Lua patterns, where ( ) . % + - * ? [ ^ $ are "
             "special: s:find(text, 1, true) searches plainly, and re.find takes an RE2 regex";
  }
  return std::nullopt;
}

// Whether `word` appears in `code` as a name, outside strings and comments.
bool uses_name(std::string_view code, std::string_view word);

} // namespace

std::optional<std::string> error_hint(std::string_view code, const lua::CellError& error) {
  const std::string_view message = error.message;
  if (error.kind == Kind::syntax) return syntax_hint(code, message);
  if (error.kind != Kind::runtime) return std::nullopt;
  if (auto hint = bad_argument_hint(message)) return hint;
  if (auto hint = nil_value_hint(code, message)) return hint;
  if (auto hint = lua_pattern_hint(message)) return hint;
  return silent_slip_hint(code);
}

std::optional<std::string> silent_slip_hint(std::string_view code) {
  for (const auto* word : {"None", "True", "False"}) {
    if (uses_name(code, word)) return lookup(k_globals, word);
  }
  return std::nullopt;
}

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Where a long bracket "[[" or "[==[" that opens at `at` closes, past its end; npos if not one.
std::size_t long_bracket_end(std::string_view code, std::size_t at) {
  if (code[at] != '[') return std::string_view::npos;
  std::size_t level = 0;
  auto i = at + 1;
  while (i < code.size() && code[i] == '=') ++level, ++i;
  if (i >= code.size() || code[i] != '[') return std::string_view::npos;
  const auto close = "]" + std::string(level, '=') + "]";
  const auto end = code.find(close, i + 1);
  return end == std::string_view::npos ? code.size() : end + close.size();
}

// Past the string, comment or long string starting at `at`, or `at` when none starts there.
std::size_t skip_literal(std::string_view code, std::size_t at) {
  const char c = code[at];
  if (c == '"' || c == '\'') {
    auto i = at + 1;
    while (i < code.size() && code[i] != c && code[i] != '\n') i += code[i] == '\\' ? 2U : 1U;
    return std::min(i + 1, code.size());
  }
  if (code.substr(at).starts_with("--")) {
    if (at + 2 < code.size()) {
      if (const auto end = long_bracket_end(code, at + 2); end != std::string_view::npos)
        return end;
    }
    const auto nl = code.find('\n', at);
    return nl == std::string_view::npos ? code.size() : nl;
  }
  const auto end = long_bracket_end(code, at);
  return end == std::string_view::npos ? at : end;
}

bool uses_name(std::string_view code, std::string_view word) {
  for (std::size_t at = 0; at < code.size();) {
    if (const auto past = skip_literal(code, at); past != at) {
      at = past;
      continue;
    }
    if (!is_name_char(code[at])) {
      ++at;
      continue;
    }
    auto end = at;
    while (end < code.size() && is_name_char(code[end])) ++end;
    const bool field = at > 0 && (code[at - 1] == '.' || code[at - 1] == ':');
    if (!field && code.substr(at, end - at) == word) return true;
    at = end;
  }
  return false;
}

} // namespace

} // namespace rlm::loop
