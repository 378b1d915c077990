// The in-process defences of the sandbox, one test per item of ../shared/SANDBOX.md that
// can be stopped in-process. Each would fail if its defence were removed. (What only the
// worker's kill can stop is in session_test.cpp.)
#include "lua/lua_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::lua {
namespace {

using ::testing::HasSubstr;
using testing::SandboxFixture;

CellError::Kind kind_of(const CellResult& r) {
  return r.error ? r.error->kind : CellError::Kind::runtime;
}

TEST(SandboxTakenAway, NoFilesProcessesModulesOrDebug) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(io, require, package, debug, dofile, loadfile, warn)"),
            "nil\tnil\tnil\tnil\tnil\tnil\tnil\n");
  EXPECT_EQ(f.out("print(os.execute, os.getenv, os.remove, os.rename, os.exit, os.tmpname)"),
            "nil\tnil\tnil\tnil\tnil\tnil\n");
  EXPECT_EQ(f.out("print(type(os.clock), type(os.time), type(os.date), type(os.difftime))"),
            "function\tfunction\tfunction\tfunction\n");
}

TEST(SandboxTakenAway, StringDumpIsGoneEvenThroughTheStringMetatable) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(string.dump, (''). dump, getmetatable(''))"), "nil\tnil\tstring\n");
}

TEST(SandboxTakenAway, TheLoadedModuleTableLeadsNowhere) {
  SandboxFixture f;
  // With the registry out of reach (no debug), `package.loaded` was the only door: gone.
  EXPECT_EQ(f.out("print(package and package.loaded)"), "nil\n");
}

TEST(SandboxTakenAway, CollectgarbageCannotStopOrRetuneTheCollector) {
  SandboxFixture f;
  for (const char* option :
       {"stop", "restart", "setpause", "setstepmul", "incremental", "generational"}) {
    const auto result = f.sandbox.run(std::string("collectgarbage('") + option + "')");
    ASSERT_TRUE(result.error) << option;
    EXPECT_EQ(result.error->message, std::string("cell:1: collectgarbage: option '") + option +
                                         "' is not allowed in the sandbox");
  }
  EXPECT_EQ(f.out("print(collectgarbage('isrunning'))"), "true\n");
}

// A rerun or a replay of a run must draw what the recorded run drew.
TEST(SandboxRandom, MathRandomDrawsTheSameNumbersInEverySandbox) {
  const auto draws = "local t = {} for i = 1, 5 do t[i] = math.random(1000000) end "
                     "print(table.concat(t, ' '))";
  SandboxFixture a;
  SandboxFixture b;
  const auto first = a.out(draws);
  EXPECT_EQ(b.out(draws), first);
  EXPECT_NE(a.out(draws), first); // the sequence goes on; it does not restart per cell
  EXPECT_EQ(a.out("math.randomseed(7) local x = math.random(1e6) math.randomseed(7) "
                  "print(x == math.random(1e6))"),
            "true\n");
}

// As Lua's: no option is "collect", which returns 0; "count" is KB as a float; "step" a boolean.
TEST(SandboxGc, CollectgarbageCollectsAndCountsAsLuaDoes) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(collectgarbage(), collectgarbage('collect'))"), "0\t0\n");
  EXPECT_EQ(f.out("x = {} for i = 1, 1e5 do x[i] = {} end x = nil "
                  "local before = collectgarbage('count') collectgarbage() "
                  "print(math.type(before), collectgarbage('count') < before - 1000)"),
            "float\ttrue\n");
  EXPECT_EQ(f.out("print(type(collectgarbage('step')), type(collectgarbage('step', 100)))"),
            "boolean\tboolean\n");
  const auto bad = f.sandbox.run("collectgarbage('nooption')");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->message,
            "cell:1: bad argument #1 to 'collectgarbage' (invalid option 'nooption')");
}

TEST(SandboxTakenAway, CoroutineCloseIsGone) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(coroutine.close)"), "nil\n");
}

TEST(SandboxLoad, BinaryChunksAreRefused) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(load('\\27Lua\\84\\0'))"),
            "nil\tattempt to load a binary chunk (mode is 't')\n");
  EXPECT_EQ(f.out("print(load('\\27Lua', 'x', 'b'))"),
            "nil\tattempt to load a binary chunk (mode is 't')\n");
}

TEST(SandboxLoad, RunsInTheSandboxAndCannotReachRemovedLibraries) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(load('return io')(), load('return os.execute')())"), "nil\tnil\n");
  EXPECT_EQ(f.out("x = 5 print(load('return x')())"), "5\n");
  EXPECT_EQ(f.out("print(load('return y', 'c', 't', {y = 7})())"), "7\n");
}

// Named as Lua names them: by their source, or by the name given.
TEST(SandboxLoad, ChunksAreNamedAsLuaNamesThem) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(load('x = '))"),
            "nil\t[string \"x = \"]:1: unexpected symbol near <eof>\n");
  EXPECT_EQ(f.out("print(load('local a = 1\\nx = '))"),
            "nil\t[string \"local a = 1...\"]:2: unexpected symbol near <eof>\n");
  EXPECT_EQ(f.out("print(pcall(load('error(\"boom\")')))"),
            "false\t[string \"error(\"boom\")\"]:1: boom\n");
  EXPECT_EQ(f.out("print(load('x = ', '=mine'))"), "nil\tmine:1: unexpected symbol near <eof>\n");
  EXPECT_EQ(f.out("print(load('x = ', '@file.lua'))"),
            "nil\tfile.lua:1: unexpected symbol near <eof>\n");
}

TEST(SandboxLoad, ModeBRefusesTextAsLuaDoes) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(load('return 1', 'x', 'b'))"),
            "nil\tattempt to load a text chunk (mode is 'b')\n");
  EXPECT_EQ(f.out("print(load('return 1', 'x', 't')(), load('return 2', 'x', 'bt')())"), "1\t2\n");
}

TEST(SandboxLoad, ReaderFunctionsAndHugeChunksAreRefused) {
  SandboxFixture f;
  const auto reader = f.sandbox.run("load(function() return 'x = 1' end)");
  ASSERT_TRUE(reader.error);
  EXPECT_THAT(reader.error->message, HasSubstr("reader functions are not allowed"));
  const auto huge = f.sandbox.run("load(string.rep('x = 1 ', 2000))");
  ASSERT_TRUE(huge.error);
  EXPECT_THAT(huge.error->message, HasSubstr("over the limit of 4096"));
}

TEST(SandboxGc, FinalizersAreRefusedInEveryForm) {
  SandboxFixture f;
  for (const char* code : {"setmetatable({}, {__gc = function() end})",
                           "setmetatable({}, {__gc = false})", "setmetatable({}, {__gc = true})"}) {
    const auto result = f.sandbox.run(code);
    ASSERT_TRUE(result.error) << code;
    EXPECT_THAT(result.error->message, HasSubstr("__gc metamethods are not allowed")) << code;
  }
  EXPECT_EQ(f.out("local t = setmetatable({}, {__index = function() return 1 end}) print(t.x)"),
            "1\n");
}

TEST(SandboxCFunctions, StringRepOfNothingReturnsAtOnce) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(#string.rep('', 1e18), #string.rep('', 1e18, ''))"), "0\t0\n");
}

TEST(SandboxCFunctions, StringRepBeyondMemoryIsRefusedBeforeBuilding) {
  SandboxFixture f;
  const auto result = f.sandbox.run("string.rep('x', 1e12)");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message,
              HasSubstr("string.rep: a result of 953674 MB is over the memory limit"));
}

TEST(SandboxCFunctions, TableMoveWithHugeBoundsIsRefused) {
  SandboxFixture f;
  const auto result = f.sandbox.run("table.move({}, 1, 1e15, 2)");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message,
              HasSubstr("table.move: a range of more than 67108864 elements"));
  EXPECT_EQ(f.out("print(table.concat(table.move({1, 2, 3}, 1, 3, 2), ','))"), "1,1,2,3\n");
}

TEST(SandboxCFunctions, PlainFindStillBehavesLikeLua) {
  SandboxFixture f;
  EXPECT_EQ(
      f.out(
          "print(('hello world'):find('o w'), ('a.b'):find('.', 1, true), ('abc'):find('c', -1))"),
      "5\t2\t3\t3\n"); // only the last call in an argument list gives all its values
  EXPECT_EQ(f.out("print(('abc'):find('x'), ('abc'):find('', 10), ('abc'):find('b', -10))"),
            "nil\tnil\t2\t2\n");
  EXPECT_EQ(f.out("print(('key=val'):find('(%w+)=(%w+)'))"), "1\t7\tkey\tval\n");
}

// --- time: every hookable runaway ends at the limit with the variables kept --------------

// Each form runs twice: in the plain in-process sandbox (a periodic hook everywhere) and
// guarded as the worker is (no hook on the main thread until SIGALRM; coroutines hooked
// when created), where a coroutine left unhooked would loop for ever.
class SandboxTimeout : public ::testing::TestWithParam<std::tuple<bool, const char*>> {};

TEST_P(SandboxTimeout, EndsWithATimeoutAndKeepsVariables) {
  const auto [alarm, code] = GetParam();
  SandboxFixture f({"x"}, testing::small_limits(), alarm);
  f.out("kept = 'still here'");
  const auto result = f.sandbox.run(code);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, CellError::Kind::timeout) << result.error->message;
  EXPECT_THAT(result.error->message, HasSubstr("time limit: the cell ran longer than 0.5 s"));
  EXPECT_LT(result.seconds, 1.5);
  EXPECT_EQ(f.out("print(kept)"), "still here\n");
}

INSTANTIATE_TEST_SUITE_P(
    EveryForm, SandboxTimeout,
    ::testing::Combine(
        ::testing::Bool(),
        ::testing::Values(
            "while true do end", "repeat until false", "::top:: goto top",
            "local function f() return f() end f()", "for i = 1, math.huge do end",
            "while true do pcall(function() while true do end end) end",
            "while true do pcall(error, 'x') end",
            "xpcall(function() while true do end end, function() while true do end end)",
            "xpcall(error, function() while true do end end)",
            "while true do xpcall(function() while true do end end, print) end",
            "local co = coroutine.wrap(function() while true do end end) co()",
            "while true do coroutine.resume(coroutine.create(function() while true do end end)) "
            "end",
            "while true do local co = coroutine.create(function() while true do coroutine.yield() "
            "end "
            "end) "
            "for i = 1, 1e9 do coroutine.resume(co) end end",
            "do local x <close> = setmetatable({}, {__close = function() while true do end end}) "
            "end",
            "do local x <close> = setmetatable({}, {__close = function() while true do end end}) "
            "error('e') end",
            "local t = setmetatable({}, {__index = function() while true do end end}) local _ = "
            "t.a",
            "local s = setmetatable({}, {__tostring = function() while true do end end}) print(s)",
            "table.sort({3, 2, 1, 5, 4}, function(a, b) while true do end end)",
            "string.gsub('aaaa', 'a', function() while true do end end)",
            "load('while true do end')()",
            "pcall(coroutine.wrap(function() while true do end end))",
            "coroutine.resume(coroutine.create(function() pcall(function() while true do end end) "
            "end))",
            "coroutine.wrap(function() coroutine.wrap(function() while true do end end)() end)()",
            "coroutine.wrap(function() string.gsub('aaaa', 'a', function() while true do end end) "
            "end)()",
            "local co = coroutine.create(function() coroutine.yield() while true do end end) "
            "coroutine.resume(co) coroutine.resume(co)")));

TEST(SandboxTimeoutAccounting, WaitingForTheModelDoesNotCount) {
  SandboxFixture f;
  f.host.delay = std::chrono::milliseconds(700); // longer than the 0.5 s cell limit
  const auto result = f.sandbox.run("x = llm_query('slow') y = llm_query('slow again')");
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_GT(result.seconds, 1.4);
}

// --- memory: a clean error, not swallowed, and the REPL goes on ------------------------

class SandboxMemory : public ::testing::TestWithParam<std::tuple<bool, const char*>> {};

TEST_P(SandboxMemory, EndsWithAMemoryErrorAndRecovers) {
  const auto [alarm, code] = GetParam();
  auto limits = testing::small_limits();
  limits.cell_timeout_seconds = 30; // the memory cap, not the clock, must end these
  SandboxFixture f({"x"}, limits, alarm);
  const auto result = f.sandbox.run(code);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, CellError::Kind::memory) << result.error->message;
  EXPECT_THAT(result.error->message, HasSubstr("memory limit: the REPL reached its 64 MB"));
  EXPECT_LE(result.peak_memory_bytes, 64ULL << 20);
  EXPECT_LT(result.seconds, 10); // the cap ended it, not the 30 s clock
  EXPECT_EQ(f.out("local t = {} for i = 1, 1000 do t[i] = i end print(#t)"), "1000\n");
}

INSTANTIATE_TEST_SUITE_P(
    EveryForm, SandboxMemory,
    ::testing::Combine(
        ::testing::Bool(),
        ::testing::Values(
            "local t = {} for i = 1, 1e9 do t[i] = i end",
            "local s = 'x' while true do s = s .. s end",
            "local t = {} while true do t[#t + 1] = string.rep('y', 1e6) end",
            "local t = {} print(pcall(function() for i = 1, 1e9 do t[i] = {} end end)) "
            "print('the pcall swallowed the memory error')",
            "while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end) end",
            "coroutine.wrap(function() local t = {} for i = 1, 1e9 do t[i] = i end end)()",
            // The stop must stay sticky with no hook but its own: a __close that loops after
            // the memory stop meets it again (else it runs to the cell's 30 s).
            "do local x <close> = setmetatable({}, {__close = function() while true do end end}) "
            "pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end) end")));

// --- errors and sources --------------------------------------------------------------

TEST(SandboxErrors, SyntaxErrorsNameTheLine) {
  SandboxFixture f;
  const auto result = f.sandbox.run("x = 1\ny = = 2");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, CellError::Kind::syntax);
  EXPECT_EQ(result.error->message, "cell:2: unexpected symbol near '='");
}

TEST(SandboxErrors, RuntimeErrorsNameTheLine) {
  SandboxFixture f;
  const auto result = f.sandbox.run("local x = nil\nreturn x.field");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, CellError::Kind::runtime);
  EXPECT_EQ(result.error->message, "cell:2: attempt to index a nil value (local 'x')");
}

// Errors raised inside the functions the sandbox wraps read as stock Lua 5.4's (lua5.4 -e,
// with "(command line)" for "cell"): the caller's line and the function's name.
TEST(SandboxErrors, WrappedFunctionsKeepTheCallersLineAndTheirName) {
  SandboxFixture f;
  const std::pair<const char*, const char*> cases[] = {
      {"\nsetmetatable(1)",
       "cell:2: bad argument #1 to 'setmetatable' (table expected, got number)"},
      {"getmetatable()", "cell:1: bad argument #1 to 'getmetatable' (value expected)"},
      {"setmetatable(setmetatable({}, {__metatable = 1}), {})",
       "cell:1: cannot change a protected metatable"},
      {"string.find('a', '(')", "cell:1: unfinished capture"},
      {"local s = string s.find('a', '[a')", "cell:1: malformed pattern (missing ']')"},
      {"string.rep()", "cell:1: bad argument #1 to 'rep' (string expected, got no value)"},
      {"table.move(1, 1, 2, 1)", "cell:1: bad argument #1 to 'move' (table expected, got number)"},
      {"table.move({}, 1, math.maxinteger, 2)",
       "cell:1: bad argument #4 to 'move' (destination wrap around)"},
      {"coroutine.resume(1)", "cell:1: bad argument #1 to 'resume' (thread expected, got number)"},
      {"os.time({})", "cell:1: field 'year' missing in date table"},
      {"os.date('%Ez')", "cell:1: bad argument #1 to 'date' (invalid conversion specifier '%Ez')"},
      {"load()", "cell:1: bad argument #1 to 'load' (function expected, got no value)"},
  };
  for (const auto& [code, message] : cases) {
    const auto result = f.sandbox.run(code);
    ASSERT_TRUE(result.error) << code;
    EXPECT_EQ(result.error->message, message) << code;
  }
  // Called from C (pcall), a function is named by the library it is found in.
  EXPECT_EQ(f.out("print(select(2, pcall(setmetatable, 1)))"),
            "bad argument #1 to 'setmetatable' (table expected, got number)\n");
  EXPECT_EQ(f.out("print(select(2, pcall(os.date, '%Ez')))"),
            "bad argument #1 to 'os.date' (invalid conversion specifier '%Ez')\n");
}

TEST(SandboxErrors, LongMessagesAreCut) {
  SandboxFixture f;
  const auto result = f.sandbox.run("error(string.rep('e', 5000))");
  ASSERT_TRUE(result.error);
  EXPECT_LT(result.error->message.size(), 260U);
  EXPECT_THAT(result.error->message, HasSubstr("[error cut: 4808 more bytes]"));
}

TEST(SandboxErrors, ErrorObjectsAreNotConvertedByRunningTheirCode) {
  SandboxFixture f;
  const auto result =
      f.sandbox.run("error(setmetatable({}, {__tostring = function() while true do end end}))");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message, "(an error value of type table)");
  EXPECT_LT(result.seconds, 0.4);
}

TEST(SandboxErrors, TooLargeSourceIsRefusedUnread) {
  SandboxFixture f;
  const auto result = f.sandbox.run(std::string(5000, ' '));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(kind_of(result), CellError::Kind::too_large);
}

TEST(SandboxErrors, DocumentsOverTheMemoryLimitAreRefused) {
  testing::ScriptedHost host;
  auto limits = testing::small_limits();
  limits.memory_limit_bytes = 16LL << 20;
  Sandbox sandbox(limits, host);
  const std::string big(20U << 20, 'x');
  const std::vector<DocumentText> docs = {{"big.txt", big}};
  EXPECT_THROW(sandbox.load_documents(docs), std::runtime_error);
}

TEST(SandboxErrors, TheLineIndexCountsAgainstTheMemoryLimit) {
  // 8 million empty lines: an 8 MB string, but a 64 MB line index (8 bytes a line). The
  // lines are counted at load; the index is built when code first asks for a line.
  testing::ScriptedHost host;
  Sandbox sandbox(testing::small_limits(), host);
  const std::string newlines(8U << 20, '\n');
  const std::vector<DocumentText> docs = {{"lines.txt", newlines}};
  sandbox.load_documents(docs);
  EXPECT_EQ(sandbox.run("print(context_lines)").output, "8388608\n");
  const auto result = sandbox.run("print(line(1))");
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("memory limit: the REPL reached its 64 MB"),
            std::string::npos)
      << result.error->message;
  EXPECT_LE(sandbox.memory_in_use(), 64ULL << 20);
  EXPECT_EQ(sandbox.run("print(#context)").output, "8388608\n"); // the session goes on
}

TEST(SandboxState, VariablesPersistAcrossCells) {
  SandboxFixture f;
  f.out("counter = 1 function bump() counter = counter + 1 end");
  f.out("bump() bump()");
  EXPECT_EQ(f.out("print(counter)"), "3\n");
}

TEST(SandboxState, ReplacedToolsAreRestoredForTheNextCellAndTheModelIsTold) {
  SandboxFixture f({"Paris is the capital"});
  f.out("FINAL = function() end grep = nil context = 'nothing' string.find = function() end "
        "re.find = nil");
  const auto result = f.sandbox.run(
      "print(#grep('Paris'), context:find('Paris'), re.find(context, 'Paris')) FINAL('ok')");
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.final_answer, "ok");
  EXPECT_EQ(result.output,
            "[note: rlm restored FINAL, grep, context, string.*, re.*, which an earlier cell had "
            "replaced; they are rlm's tools, so use other names for your variables]\n1\t1\t1\t5\n");
  EXPECT_EQ(f.sandbox.run("x = 1").output, ""); // nothing to restore: no note
}

TEST(SandboxMemoryAccounting, GarbageCollectedByLuaIsNotAStop) {
  // 36 MB kept under a 64 MB cap, then 300 temporaries of 1 MB: the cap is reached (about
  // ten times) before the incremental collector runs, and Lua's emergency collection frees
  // enough. (Found by the attack review: the first refusal used to stop the cell.)
  Limits limits = testing::small_limits();
  limits.cell_timeout_seconds = 20;
  SandboxFixture f({"x"}, limits);
  f.out("keep = {} for i = 1, 36 do keep[i] = ('k'):rep(2^20) .. i end");
  const auto result =
      f.sandbox.run("local k = ('y'):rep(1024) for i = 1, 300 do local g = k:rep(1024) .. i end");
  EXPECT_FALSE(result.error) << result.error->message;
}

TEST(SandboxState, ReplacingGlobalsCannotBreakTheTools) {
  SandboxFixture f;
  f.out("string = nil table = nil re = nil setmetatable = nil pcall = nil _G.print = nil");
  const auto result =
      f.sandbox.run("FINAL(context:sub(1, 4))"); // methods go via the string metatable
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.final_answer, "line");
}

} // namespace
} // namespace rlm::lua
