// The one list of what rlm defines in the REPL: every tool, the `re` table and the document
// variables, with what each does with the document. Registration, the restore of replaced
// globals, the docs check and "has this cell read the document" all read this list.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>

struct lua_State;

namespace rlm::lua {

// The C functions behind the tools (src/lua/tools_*.cpp).
namespace tools {
int print(lua_State* L);
int final(lua_State* L);
int final_var(lua_State* L);
int llm_query(lua_State* L);
int llm_query_batched(lua_State* L);
int line(lua_State* L);
int lines(lua_State* L);
int slice(lua_State* L);
int chunk(lua_State* L);
int chunk_lines(lua_State* L);
int grep(lua_State* L);
int re_find(lua_State* L);
int re_match(lua_State* L);
int re_findall(lua_State* L);
int re_count(lua_State* L);
int re_split(lua_State* L);
int re_replace(lua_State* L);
} // namespace tools

enum class ToolKind {
  function, // a global function
  table,    // a global table of functions ("re"); its functions are named "re.find", ...
  variable, // a document variable, set by Sandbox::load_documents
};

// What a tool does with the document.
enum class DocumentRead {
  never,       // it does not look at the document (llm_query, FINAL, context_lines, ...)
  always,      // it reads the document itself (grep, line, `context`)
  when_passed, // it reads the string it is given, which is the document when it is given
               // `context` or a documents[i].text (chunk, slice, re.find, ...)
};

struct Tool {
  std::string_view name; // as the model writes it: "grep", "re", "re.find", "context"
  ToolKind kind;
  DocumentRead reads;
  int (*function)(lua_State*); // nullptr for tables and variables
  std::string_view arguments;  // a function's parameters, as hints name them: "s, pattern, init"
};

// In the order the restore note names them; a table before its functions.
inline constexpr Tool k_tools[] = {
    {"FINAL", ToolKind::function, DocumentRead::never, &tools::final, "answer"},
    // FINAL_VAR("context") reads the document: the tool notes that itself.
    {"FINAL_VAR", ToolKind::function, DocumentRead::never, &tools::final_var, "name"},
    {"llm_query", ToolKind::function, DocumentRead::never, &tools::llm_query, "prompt"},
    {"llm_query_batched", ToolKind::function, DocumentRead::never, &tools::llm_query_batched,
     "prompts"},
    {"print", ToolKind::function, DocumentRead::never, &tools::print, "..."},
    {"re", ToolKind::table, DocumentRead::never, nullptr, ""},
    {"re.find", ToolKind::function, DocumentRead::when_passed, &tools::re_find, "s, pattern, init"},
    {"re.match", ToolKind::function, DocumentRead::when_passed, &tools::re_match,
     "s, pattern, init"},
    {"re.findall", ToolKind::function, DocumentRead::when_passed, &tools::re_findall,
     "s, pattern, max"},
    {"re.count", ToolKind::function, DocumentRead::when_passed, &tools::re_count, "s, pattern"},
    {"re.split", ToolKind::function, DocumentRead::when_passed, &tools::re_split,
     "s, pattern, max"},
    {"re.replace", ToolKind::function, DocumentRead::when_passed, &tools::re_replace,
     "s, pattern, replacement, max"},
    {"line", ToolKind::function, DocumentRead::always, &tools::line, "n"},
    {"lines", ToolKind::function, DocumentRead::always, &tools::lines, "i, j"},
    {"slice", ToolKind::function, DocumentRead::when_passed, &tools::slice, "s, i, j"},
    {"chunk", ToolKind::function, DocumentRead::when_passed, &tools::chunk, "s, size, overlap"},
    {"chunk_lines", ToolKind::function, DocumentRead::when_passed, &tools::chunk_lines,
     "s, n, overlap"},
    {"grep", ToolKind::function, DocumentRead::always, &tools::grep, "pattern, around, max"},
    {"context", ToolKind::variable, DocumentRead::always, nullptr, ""},
    {"documents", ToolKind::variable, DocumentRead::always, nullptr, ""},
    {"context_chars", ToolKind::variable, DocumentRead::never, nullptr, ""},
    {"context_lines", ToolKind::variable, DocumentRead::never, nullptr, ""},
    {"context_tokens", ToolKind::variable, DocumentRead::never, nullptr, ""},
};

// Whether `tool` is a global of its own (not a function inside a table).
constexpr bool is_global(const Tool& tool) { return tool.name.find('.') == std::string_view::npos; }

// Whether reading the variable `tool` reads the document: such variables are served by rlm
// (sandbox.hpp) so it can tell, rather than stored in the globals table.
constexpr bool is_served(const Tool& tool) {
  return tool.kind == ToolKind::variable && tool.reads == DocumentRead::always;
}

inline constexpr auto k_served_count =
    static_cast<std::size_t>(std::ranges::count_if(k_tools, is_served));

// The tool named `name`, or nullptr.
constexpr const Tool* find_tool(std::string_view name) {
  const auto* it = std::ranges::find(k_tools, name, &Tool::name);
  return it == std::end(k_tools) ? nullptr : it;
}

} // namespace rlm::lua
