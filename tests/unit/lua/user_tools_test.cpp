// The user's own tool files: read by the parent (refused with one line when unusable), run in
// the sandbox like a cell, described to the model by their leading comments. Each way a
// tool file can go wrong at start-up is one line naming the file and, where Lua knows it,
// the line.
#include "lua/lua_test_support.hpp"
#include "rlm/lua/tool_file.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace rlm::lua {
namespace {

using ::testing::HasSubstr;
using testing::SandboxFixture;
using ::testing::StartsWith;

ToolFile tool(std::string source, std::string name = "tools/dates.lua") {
  return {std::move(name), std::move(source)};
}

using rlm::testing::TempDir;

TEST(UserTools, AToolFileDefinesFunctionsEveryLaterCellCanCall) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("function second_line() return line(2) end\n"
                                     "local hidden = 1\nfunction shout(s) return s:upper() end")),
            std::nullopt);
  EXPECT_EQ(f.out("print(second_line(), shout('hi'), hidden)"), "line two\tHI\tnil\n");
  EXPECT_EQ(f.out("print(shout(second_line()))"), "LINE TWO\n");
}

TEST(UserTools, ASyntaxErrorNamesTheFileAndLine) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("function f()\n  return 1 +\nend\n")),
            "tool file tools/dates.lua:3: unexpected symbol near 'end'");
}

TEST(UserTools, ARuntimeErrorNamesTheFileAndLine) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("x = 1\nlocal t = nil\nprint(t.z)\n")),
            "tool file tools/dates.lua:3: attempt to index a nil value (local 't')");
}

TEST(UserTools, AreSandboxedLikeTheModelsCode) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("local f = io.open('/etc/passwd')")),
            "tool file tools/dates.lua:1: attempt to index a nil value (global 'io')");
  EXPECT_EQ(f.sandbox.load_tool(tool("os.execute('touch /tmp/x')")),
            "tool file tools/dates.lua:1: attempt to call a nil value (field 'execute')");
  EXPECT_EQ(f.sandbox.load_tool(tool("require('socket')")),
            "tool file tools/dates.lua:1: attempt to call a nil value (global 'require')");
}

TEST(UserTools, AFileThatNeverEndsIsStoppedAtTheCellLimit) {
  SandboxFixture f; // a 0.5 s cell limit
  EXPECT_EQ(f.sandbox.load_tool(tool("while true do end")),
            "tool file tools/dates.lua did not finish loading within the cell time limit of "
            "0.5 s");
  EXPECT_EQ(f.out("print(1)"), "1\n"); // the REPL is still fine
}

TEST(UserTools, AFileOverTheMemoryLimitIsStopped) {
  SandboxFixture f; // 64 MB
  const auto problem = f.sandbox.load_tool(tool("t = {} for i = 1, 1e8 do t[i] = i end"));
  ASSERT_TRUE(problem);
  EXPECT_THAT(*problem, StartsWith("tool file tools/dates.lua: memory limit"));
}

TEST(UserTools, ReplacingOneOfRlmsNamesIsRefused) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("function grep() return {} end")),
            "tool file tools/dates.lua replaces grep, which rlm defines (use other names)");
  EXPECT_EQ(f.out("print(#grep('line'))"), "3\n"); // rlm's grep is back
}

TEST(UserTools, CallingFinalOrLlmQueryWhileLoadingIsRefused) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.load_tool(tool("FINAL('too early')")),
            "tool file tools/dates.lua calls FINAL while it loads (a tool file defines functions)");
  EXPECT_EQ(
      f.sandbox.load_tool(tool("summary = llm_query('hi')")),
      "tool file tools/dates.lua:1: llm_query failed: a tool file cannot call llm_query while "
      "it loads (call it inside a function)");
  EXPECT_TRUE(f.host.calls.empty());
  // Inside a function, called from a cell, it is a sub-call like any other.
  EXPECT_EQ(f.sandbox.load_tool(tool("function ask(q) return llm_query(q) end")), std::nullopt);
  EXPECT_EQ(f.out("print(ask('hi'))"), "answer to: hi\n");
}

TEST(UserTools, TheLeadingCommentIsTheDescription) {
  EXPECT_EQ(tool_description(tool("-- iso_date(s): a date as YYYY-MM-DD\n"
                                  "---  count(): how many\n"
                                  "--\n"
                                  "function iso_date() end\n"
                                  "-- not this one\n")),
            "iso_date(s): a date as YYYY-MM-DD\n count(): how many");
  EXPECT_EQ(tool_description(tool("#!/usr/bin/lua\r\n-- after a shebang\r\nx = 1")),
            "after a shebang");
  EXPECT_EQ(tool_description(tool("function f() end\n-- later")), "");
  EXPECT_EQ(tool_description(tool("--[[ a block comment ]]\nx = 1")), "");
}

TEST(UserToolFiles, AreReadWhole) {
  const TempDir dir;
  const auto a = dir.write("a.lua", "-- a\nfunction a() end\n");
  const auto b = dir.write("b.lua", "function b() end");
  const auto tools = read_tool_files({a, b});
  ASSERT_TRUE(tools) << tools.error().message;
  ASSERT_EQ(tools->size(), 2U);
  EXPECT_EQ((*tools)[0], (ToolFile{a, "-- a\nfunction a() end\n"}));
  EXPECT_EQ((*tools)[1].source, "function b() end");
}

TEST(UserToolFiles, AnUnusableFileIsOneLineNamingIt) {
  const TempDir dir;
  const auto missing = dir.file("nope.lua");
  const auto big = dir.write("big.lua", std::string(k_max_tool_file_bytes + 1, ' '));
  const auto binary = dir.write("bin.lua", "x = '\xff'");
  const auto ok = dir.write("ok.lua", "x = 1");
  const auto error = [](const std::vector<std::string>& paths) {
    const auto read = read_tool_files(paths);
    EXPECT_FALSE(read);
    EXPECT_EQ(read ? ErrorKind::internal : read.error().kind, ErrorKind::usage);
    return read ? std::string() : read.error().message;
  };
  EXPECT_EQ(error({missing}),
            "cannot read the tool file " + missing + ": No such file or directory");
  EXPECT_EQ(error({big}), "the tool file " + big + " is over the 256 KB limit");
  EXPECT_THAT(error({binary}), HasSubstr("the tool file " + binary +
                                         " is not valid UTF-8 (line 1, column 6, byte 5)"));
  EXPECT_EQ(error({ok, ok}), "the tool file " + ok + " is given twice");
  EXPECT_EQ(error({dir.path}).rfind("cannot read the tool file", 0), 0U);
}

} // namespace
} // namespace rlm::lua
