// "Has this cell read the document", as the tools and the served variables decide it, and
// the attacks on the metatable that serves `context` and `documents`: each ends with the
// document readable, rlm's globals back, and no crash.
#include "lua/lua_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::lua {
namespace {

using ::testing::HasSubstr;
using testing::SandboxFixture;

// Whether `code` read the document; the cell may fail.
bool reads(SandboxFixture& f, const std::string& code) { return f.sandbox.run(code).read_document; }

TEST(LuaReadDocument, ToolsThatReadTheDocumentSayTheyDid) {
  SandboxFixture f;
  EXPECT_TRUE(reads(f, "grep('one')"));
  EXPECT_TRUE(reads(f, "line(1)"));
  EXPECT_TRUE(reads(f, "lines(1, 2)"));
}

TEST(LuaReadDocument, ACallRefusedBeforeItReadAnythingDidNot) {
  SandboxFixture f;
  EXPECT_FALSE(reads(f, "grep('(')")); // the pattern was refused
  EXPECT_FALSE(reads(f, "pcall(grep) pcall(line, {})"));
}

TEST(LuaReadDocument, CodeThatNeverTouchesItDidNot) {
  SandboxFixture f;
  EXPECT_FALSE(reads(f, "print(1 + 1)"));
  EXPECT_FALSE(reads(f, "print(context_lines, context_chars, context_tokens)"));
  EXPECT_FALSE(reads(f, "x = llm_query('hello')"));
  EXPECT_FALSE(reads(f, "print(#chunk('abc', 1), re.count('aaa', 'a'), slice('abc', 2))"));
  EXPECT_FALSE(reads(f, "print(type(grep), type(re.find))"));
}

TEST(LuaReadDocument, ReadingContextOrDocumentsCounts) {
  SandboxFixture f;
  EXPECT_TRUE(reads(f, "local c = context"));
  EXPECT_TRUE(reads(f, "local n = #context"));
  EXPECT_TRUE(reads(f, "print(context:sub(1, 10))"));
  EXPECT_TRUE(reads(f, "print(documents[1].name)"));
  EXPECT_TRUE(reads(f, "local d = documents"));
}

TEST(LuaReadDocument, TrueEvenWhenTheCellFailsAfterwards) {
  SandboxFixture f;
  const auto result = f.sandbox.run("local n = #context error('later')");
  ASSERT_TRUE(result.error);
  EXPECT_TRUE(result.read_document);
  const auto stopped = f.sandbox.run("grep('one') while true do end");
  ASSERT_TRUE(stopped.error);
  EXPECT_EQ(stopped.error->kind, CellError::Kind::timeout);
  EXPECT_TRUE(stopped.read_document);
}

TEST(LuaReadDocument, EachCellStartsUnread) {
  SandboxFixture f;
  EXPECT_TRUE(reads(f, "local n = #context"));
  EXPECT_FALSE(reads(f, "x = 1"));
  EXPECT_TRUE(reads(f, "local n = #context"));                // the cached copy was taken back
  EXPECT_EQ(f.sandbox.run("print(#context)").output, "29\n"); // and no note about it
}

TEST(LuaReadDocument, ToolsGivenTheDocumentsTextRead) {
  SandboxFixture f({"first doc\n", "second doc\n"});
  f.out("kept = context second = documents[2].text");
  EXPECT_TRUE(reads(f, "chunk(kept, 4)"));
  EXPECT_TRUE(reads(f, "chunk_lines(second, 1)"));
  EXPECT_TRUE(reads(f, "slice(kept, 1, 3)"));
  EXPECT_TRUE(reads(f, "re.findall(second, 'd')"));
  EXPECT_FALSE(reads(f, "chunk(kept:upper(), 4)")); // a new string: no longer the document
}

TEST(LuaReadDocument, FinalVarOfTheDocumentReadsIt) {
  SandboxFixture f({"the text"});
  const auto result = f.sandbox.run("FINAL_VAR('context')");
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.final_answer, "the text");
  EXPECT_TRUE(result.read_document);
}

// --- attacks on the served variables ---------------------------------------------------

TEST(LuaServedGlobals, AMetatableOnGlobalsKeepsWorkingAndTheDocumentStaysReadable) {
  SandboxFixture f({"doc"});
  const auto result =
      f.sandbox.run("setmetatable(_G, {__index = function(t, k) return 'default ' .. k end}) "
                    "print(context, nope)");
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.output, "doc\tdefault nope\n");
  EXPECT_TRUE(result.read_document);
  EXPECT_EQ(f.out("setmetatable(_G, {__newindex = function(t, k, v) rawset(t, k, v .. '!') end}) "
                  "x = 'a' print(x, #context)"),
            "a!\t3\n");
  EXPECT_EQ(f.out("local mt = {} setmetatable(_G, mt) mt.__index = function() return 1 end "
                  "print(getmetatable(_G) == mt, zz, context)"),
            "true\t1\tdoc\n");
  EXPECT_EQ(f.out("setmetatable(_G, nil) print(getmetatable(_G), zz, context)"), "nil\tnil\tdoc\n");
}

TEST(LuaServedGlobals, RlmsOwnMetatableIsOutOfReach) {
  SandboxFixture f({"doc"});
  EXPECT_EQ(f.out("print(getmetatable(_G))"), "nil\n");
  EXPECT_EQ(f.out("setmetatable(_G, {__metatable = 'locked'}) print(getmetatable(_G), "
                  "pcall(setmetatable, _G, {}))"),
            "locked\tfalse\tcannot change a protected metatable\n");
  EXPECT_EQ(f.out("print(context)"), "doc\n");
  const auto finalizer = f.sandbox.run("setmetatable(_G, {__gc = function() end})");
  ASSERT_TRUE(finalizer.error);
  EXPECT_THAT(finalizer.error->message, HasSubstr("__gc metamethods are not allowed"));
}

TEST(LuaServedGlobals, ALoopingIndexOnGlobalsIsAnErrorNotACrash) {
  SandboxFixture f({"doc"});
  const auto result = f.sandbox.run("setmetatable(_G, {__index = _G}) return nope");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, CellError::Kind::runtime);
  EXPECT_EQ(f.out("print(context)"), "doc\n");
}

TEST(LuaServedGlobals, AGlobalsIndexMayYield) {
  SandboxFixture f({"doc"});
  EXPECT_EQ(f.out("setmetatable(_G, {__index = function(t, k) return coroutine.yield(k) end}) "
                  "local co = coroutine.wrap(function() return missing end) "
                  "print(co(), co('back'))"),
            "missing\tback\n");
}

TEST(LuaServedGlobals, RawAccessSeesOnlyWhatTheCellCached) {
  SandboxFixture f({"doc"});
  EXPECT_EQ(f.out("print(rawget(_G, 'context'), #context, rawget(_G, 'context'))"),
            "nil\t3\tdoc\n");
  EXPECT_FALSE(reads(f, "rawset(_G, 'context', 'fake') print(context)")); // not the document
  const auto next = f.sandbox.run("print(context)");
  EXPECT_THAT(next.output, HasSubstr("[note: rlm restored context,"));
  EXPECT_THAT(next.output, HasSubstr("]\ndoc\n"));
}

TEST(LuaServedGlobals, ReplacedOrRemovedVariablesComeBackNextCell) {
  SandboxFixture f({"doc"});
  EXPECT_EQ(f.out("context = nil print(context)"), "nil\n");
  EXPECT_THAT(f.out("print(context)"), HasSubstr("restored context,"));
  EXPECT_EQ(f.out("local c = context context = nil print(context, c)"), "nil\tdoc\n");
  EXPECT_THAT(f.out("print(context)"), HasSubstr("restored context,"));
  EXPECT_EQ(f.out("local c = context context = nil context = c print(#context)"), "3\n");
  EXPECT_EQ(f.out("print(#context)"), "3\n"); // put back as it was: nothing to say
  EXPECT_EQ(f.out("documents = 'x' _G = nil print(documents)"), "x\n");
  EXPECT_THAT(f.out("print(documents[1].text)"), HasSubstr("restored documents,"));
}

TEST(LuaServedGlobals, EnvironmentTricksStillSeeOrMissTheDocumentHonestly) {
  SandboxFixture f({"doc"});
  EXPECT_TRUE(reads(f, "local _ENV = setmetatable({}, {__index = _G}) n = #context"));
  EXPECT_FALSE(reads(f, "local _ENV = {print = print} print(context)"));
  EXPECT_TRUE(reads(f, "load('return #context')()"));
  EXPECT_TRUE(reads(f, "coroutine.wrap(function() local n = #documents end)()"));
  EXPECT_EQ(f.out("print(load('return context', 'c', 't', {})())"), "nil\n");
}

TEST(LuaServedGlobals, ReadingWhileTraversingGlobalsIsNoError) {
  // The first read adds the cached copy to _G: a traversal under way must survive it.
  SandboxFixture f({"doc"});
  const auto result = f.sandbox.run("for i = 1, 200 do _G['g' .. i] = i end "
                                    "local n = 0 for k in pairs(_G) do n = n + #context end");
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.read_document);
}

} // namespace
} // namespace rlm::lua
