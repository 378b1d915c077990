// The tool registry is the one list of rlm's names in the REPL: the sandbox defines exactly
// what it lists, and docs/lua-api.md documents exactly that.
#include "lua/lua_test_support.hpp"

#include "lua/tools.hpp"
#include "rlm/lua/tool_registry.hpp"

#include <gtest/gtest.h>
#include <lua.hpp>

#include <fstream>
#include <iterator>
#include <new>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

namespace rlm::lua {
namespace {

// The names docs/lua-api.md documents: the first cell of each table row that starts with
// code (`grep(pattern ...)` gives "grep"), and code in the headings (`re`).
std::set<std::string> documented_names() {
  std::ifstream in(RLM_SOURCE_DIR "/docs/lua-api.md");
  std::set<std::string> names;
  const auto name_at = [](const std::string& line, std::size_t open) {
    const auto end = line.find_first_of("`( ", open + 1);
    return line.substr(open + 1, end - open - 1);
  };
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| `")) names.insert(name_at(line, 2));
    if (!line.starts_with("#")) continue;
    for (auto open = line.find('`'); open != std::string::npos;) {
      names.insert(name_at(line, open));
      const auto close = line.find('`', open + 1);
      open = close == std::string::npos ? close : line.find('`', close + 1);
    }
  }
  return names;
}

TEST(ToolRegistry, TheDocsDocumentEveryToolAndNoOther) {
  std::set<std::string> registered;
  for (const auto& tool : k_tools) registered.emplace(tool.name);
  const auto documented = documented_names();
  for (const auto& name : registered) EXPECT_TRUE(documented.contains(name)) << name;
  for (const auto& name : documented) EXPECT_TRUE(registered.contains(name)) << name;
}

// Every function the root model's prompt tells it to call is one the sandbox has: a tool of
// the registry, or a Lua standard function the sandbox keeps.
TEST(ToolRegistry, ThePromptCallsOnlyToolsTheRegistryHas) {
  std::set<std::string> callable;
  for (const auto& tool : k_tools) callable.emplace(tool.name);
  testing::SandboxFixture f;
  int calls = 0;
  for (const auto* file : {"/prompts/system.md", "/prompts/system_compact.md"}) {
    std::ifstream in(std::string(RLM_SOURCE_DIR) + file);
    const std::string prompt{std::istreambuf_iterator<char>(in), {}};
    const std::regex call(R"((:?)([A-Za-z_][A-Za-z_0-9.]*)\()");
    for (auto it = std::sregex_iterator(prompt.begin(), prompt.end(), call);
         it != std::sregex_iterator(); ++it, ++calls) {
      // s:sub(...) is a string method: string.sub.
      const auto name = ((*it)[1].length() > 0 ? "string." : "") + (*it)[2].str();
      if (callable.contains(name)) continue;
      // Not rlm's: then Lua's own, and the sandbox must have kept it.
      EXPECT_EQ(f.out("print(type(" + name + "))"), "function\n") << file << ": " << name;
    }
  }
  EXPECT_GT(calls, 10); // the prompt was read
}

TEST(ToolRegistry, TheSandboxDefinesEveryToolOfItsKind) {
  testing::SandboxFixture f;
  for (const auto& tool : k_tools) {
    const char* type = tool.kind == ToolKind::function ? "function"
                       : tool.kind == ToolKind::table  ? "table"
                                                       : nullptr;
    if (type == nullptr) continue; // variables: below
    EXPECT_EQ(f.out("print(type(" + std::string(tool.name) + "))"), std::string(type) + "\n")
        << tool.name;
  }
  EXPECT_EQ(f.out("print(type(context), type(documents), type(context_chars), "
                  "type(context_lines), type(context_tokens))"),
            "string\ttable\tnumber\tnumber\tnumber\n");
}

TEST(ToolRegistry, OnlyTheDocumentVariablesAreServed) {
  std::set<std::string> served;
  for (const auto& tool : k_tools) {
    if (is_served(tool)) served.emplace(tool.name);
  }
  EXPECT_EQ(served, (std::set<std::string>{"context", "documents"}));
  EXPECT_EQ(find_tool("grep")->reads, DocumentRead::always);
  EXPECT_EQ(find_tool("llm_query")->reads, DocumentRead::never);
  EXPECT_EQ(find_tool("nope"), nullptr);
}

int throws_bad_alloc(lua_State*) { throw std::bad_alloc(); }
int throws_something_else(lua_State*) { throw std::runtime_error("a bug"); }

// What Lua reads when `tool` is called: the error it raised.
std::string error_of(int (*tool)(lua_State*)) {
  lua_State* L = luaL_newstate();
  push_tool(L, Tool{"t", ToolKind::function, DocumentRead::never, tool, ""});
  const int status = lua_pcall(L, 0, 0, 0);
  std::string message = status == LUA_ERRRUN ? lua_tostring(L, -1) : "no error";
  lua_close(L);
  return message;
}

TEST(ToolRegistry, AToolsCppExceptionBecomesALuaErrorInsteadOfUnwindingThroughLua) {
  EXPECT_EQ(error_of(throws_bad_alloc), "not enough memory for this call's result; work on less");
  EXPECT_EQ(error_of(throws_something_else), "this call failed inside rlm (please report it)");
}

} // namespace
} // namespace rlm::lua
