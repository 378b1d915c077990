// The model's tools, run in an in-process sandbox: documents and metadata, print, FINAL,
// llm_query, regular expressions and text helpers.
#include "lua/lua_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::lua {
namespace {

using ::testing::HasSubstr;
using testing::SandboxFixture;

TEST(LuaContext, OneDocumentIsContextAndDocuments1) {
  SandboxFixture f({"héllo\nworld"});
  EXPECT_EQ(f.out("print(#context, context_chars, context_lines, context_tokens)"),
            "12\t11\t2\t3\n");
  EXPECT_EQ(f.out("print(documents[1].name, documents[1].text == context, documents[1].start, "
                  "documents[1].stop)"),
            "doc1.txt\ttrue\t1\t12\n");
}

TEST(LuaContext, SeveralDocumentsAreJoinedAndSeparate) {
  SandboxFixture f({"first doc", "second"});
  EXPECT_EQ(f.out("print(context)"), "first doc\n\nsecond\n");
  EXPECT_EQ(
      f.out("for _, d in ipairs(documents) do print(d.name, d.text, d.start, d.stop, d.chars) end"),
      "doc1.txt\tfirst doc\t1\t9\t9\ndoc2.txt\tsecond\t12\t17\t6\n");
  EXPECT_EQ(f.out("print(context:sub(documents[2].start, documents[2].stop))"), "second\n");
}

TEST(LuaContext, NoDocumentMeansAnEmptyContext) {
  SandboxFixture f(std::vector<std::string>{});
  EXPECT_EQ(f.out("print(#context, context_lines, #documents)"), "0\t0\t0\n");
}

TEST(LuaPrint, OutputIsCappedWithACountOfWhatWasCut) {
  SandboxFixture f;
  const auto result = f.sandbox.run("for i = 1, 300 do print('0123456789') end");
  EXPECT_EQ(result.output.size(), 1024U);
  EXPECT_EQ(result.output_dropped, 300U * 11 - 1024);
  EXPECT_THAT(render_for_model(result), HasSubstr("[output truncated: 2276 more bytes not shown"));
}

TEST(LuaFinal, StringsNumbersAndBooleans) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.run("FINAL('the answer')").final_answer, "the answer");
  EXPECT_EQ(f.sandbox.run("FINAL(42)").final_answer, "42");
  EXPECT_EQ(f.sandbox.run("FINAL(2^53)").final_answer, "9007199254740992");
  EXPECT_EQ(f.sandbox.run("FINAL(0.5)").final_answer, "0.5");
  EXPECT_EQ(f.sandbox.run("FINAL(false)").final_answer, "false");
}

TEST(LuaFinal, TablesBecomeLinesWithoutRunningMetamethods) {
  SandboxFixture f;
  EXPECT_EQ(f.sandbox.run("FINAL({'a', 'b', 3})").final_answer, "a\nb\n3");
  const auto keyed = f.sandbox.run("FINAL({b = 2, a = 1})").final_answer.value_or("");
  EXPECT_TRUE(keyed == "a: 1\nb: 2" || keyed == "b: 2\na: 1") << keyed; // lua_next's order
  EXPECT_EQ(f.sandbox.run("FINAL({{1, 2}, {x = 'y'}})").final_answer, "{1, 2}\n{x = y}");
  const auto hostile =
      f.sandbox.run("FINAL(setmetatable({'safe'}, {__index = function() error('boom') end, __pairs "
                    "= function() error('boom') end}))");
  EXPECT_FALSE(hostile.error);
  EXPECT_EQ(hostile.final_answer, "safe");
}

TEST(LuaFinal, SelfContainingAndWideTablesAreCutQuickly) {
  Limits limits = testing::small_limits();
  limits.cell_timeout_seconds = 5;
  SandboxFixture f({"x"}, limits);
  const auto cycle = f.sandbox.run("u = {} for i = 1, 60 do u['k' .. i] = u end FINAL(u)");
  EXPECT_FALSE(cycle.error);
  EXPECT_THAT(cycle.final_answer.value_or(""), HasSubstr("k1: {...}"));
  EXPECT_LT(cycle.seconds, 1.0);
  const auto wide = f.sandbox.run(
      "local s = ('x'):rep(2^20) t = {} for i = 1, 3000 do t['k' .. i] = s end FINAL(t)");
  EXPECT_FALSE(wide.error);
  EXPECT_THAT(wide.final_answer.value_or(""), HasSubstr("[answer cut at 1 MB]"));
  EXPECT_LT(wide.final_answer.value_or("").size(), (1U << 20) + 64);
  EXPECT_LT(wide.seconds, 1.0);
}

TEST(LuaFinal, NilIsAnError) {
  SandboxFixture f;
  const auto result = f.sandbox.run("FINAL(nil)");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("FINAL needs a value"));
  EXPECT_FALSE(result.final_answer);
}

TEST(LuaFinalVar, ReadsTheVariableRawEvenUnderAHostileGlobalMetatable) {
  SandboxFixture f;
  f.out("answer = {'x', 'y'}");
  f.out("setmetatable(_G, {__index = function() error('hijacked') end, __newindex = function() "
        "error('no') end})");
  const auto result = f.sandbox.run("FINAL_VAR('answer')");
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.final_answer, "x\ny");
}

TEST(LuaFinalVar, MissingVariableSaysWhatToDo) {
  SandboxFixture f;
  const auto result = f.sandbox.run("FINAL_VAR('nope')");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("there is no variable named 'nope'"));
}

TEST(LuaLlmQuery, SendsThePromptToTheHost) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(llm_query('summarise ' .. line(1)))"), "answer to: summarise line one\n");
  ASSERT_EQ(f.host.calls.size(), 1U);
  EXPECT_EQ(f.host.calls[0], std::vector<std::string>{"summarise line one"});
  EXPECT_EQ(f.sandbox.run("llm_query('a')").sub_calls, 1U);
}

TEST(LuaLlmQuery, AFailedCallIsALuaErrorThatCodeCanCatch) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(pcall(llm_query, 'FAIL please'))"),
            "false\tllm_query failed: model unavailable\n");
}

TEST(LuaLlmQueryBatched, OneCallKeepsTheOrderAndIsolatesFailures) {
  SandboxFixture f;
  EXPECT_EQ(f.out("local r = llm_query_batched({'a', 'FAIL b', 'c'}) for i, x in ipairs(r) do "
                  "print(i, x) end"),
            "1\tanswer to: a\n2\terror: model unavailable\n3\tanswer to: c\n");
  ASSERT_EQ(f.host.calls.size(), 1U);
  EXPECT_EQ(f.host.calls[0].size(), 3U);
}

TEST(LuaLlmQuery, HugePromptsAreRefusedBeforeReachingTheHost) {
  Limits limits = testing::small_limits();
  limits.memory_limit_bytes = 512LL << 20;
  limits.cell_timeout_seconds = 20; // building 2e6 prompts takes a while on a busy machine
  SandboxFixture f({"x"}, limits);
  const auto one = f.sandbox.run("llm_query(string.rep('x', 5 * 1024 * 1024))");
  ASSERT_TRUE(one.error);
  EXPECT_THAT(one.error->message, HasSubstr("llm_query: a prompt of 5 MB is over the 4 MB limit"));
  const auto batch = f.sandbox.run("local p = string.rep('x', 3 * 1024 * 1024) "
                                   "llm_query_batched({p, p, p, p, p, p, p, p, p, p})");
  ASSERT_TRUE(batch.error);
  EXPECT_THAT(batch.error->message, HasSubstr("prompt 3 takes the batch over the limit"));
  const auto many =
      f.sandbox.run("local p = {} for i = 1, 2e6 do p[i] = 'x' end llm_query_batched(p)");
  ASSERT_TRUE(many.error);
  EXPECT_THAT(many.error->message,
              HasSubstr("2000000 prompts are more than the 1000 a batch may hold"));
  EXPECT_TRUE(f.host.calls.empty());
}

TEST(LuaLlmQueryBatched, NonStringPromptIsAClearError) {
  SandboxFixture f;
  const auto result = f.sandbox.run("llm_query_batched({'a', {}})");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("prompt 2 is a table; pass a table of strings"));
  EXPECT_TRUE(f.host.calls.empty());
}

TEST(LuaRegex, FindReturnsPositionsAndCaptures) {
  SandboxFixture f({"id=42 name=ann id=7"});
  EXPECT_EQ(f.out("print(re.find(context, 'id=(\\\\d+)'))"), "1\t5\t42\n");
  EXPECT_EQ(f.out("print(re.find(context, 'id=\\\\d+', 6))"), "16\t19\n");
  EXPECT_EQ(f.out("print(re.find(context, 'zzz'))"), "nil\n");
}

TEST(LuaRegex, MatchReturnsCapturesOrTheWholeMatch) {
  SandboxFixture f({"Date: 2024-05-17"});
  EXPECT_EQ(f.out("print(re.match(context, '(\\\\d+)-(\\\\d+)-(\\\\d+)'))"), "2024\t05\t17\n");
  EXPECT_EQ(f.out("print(re.match(context, '\\\\d{4}'))"), "2024\n");
  EXPECT_EQ(f.out("print(re.match(context, '(?i)DATE'))"), "Date\n");
}

TEST(LuaRegex, FindallWithoutOneAndSeveralGroups) {
  SandboxFixture f({"a=1 b=22 c=333"});
  EXPECT_EQ(f.out("print(table.concat(re.findall(context, '\\\\d+'), ','))"), "1,22,333\n");
  EXPECT_EQ(f.out("print(table.concat(re.findall(context, '(\\\\w)=\\\\d+'), ','))"), "a,b,c\n");
  EXPECT_EQ(f.out("local m = re.findall(context, '(\\\\w)=(\\\\d+)') print(#m, m[2][1], m[2][2])"),
            "3\tb\t22\n");
  EXPECT_EQ(f.out("print(#re.findall(context, '\\\\d+', 2))"), "2\n");
}

TEST(LuaRegex, EmptyMatchesAdvanceByWholeCharacters) {
  SandboxFixture f({"é日x"});
  EXPECT_EQ(f.out("print(#re.findall(context, ''))"), "4\n");
  EXPECT_EQ(f.out("print(re.replace(context, '', '-'))"), "-é-日-x-\t4\n");
}

TEST(LuaRegex, CountSplitReplace) {
  SandboxFixture f({"a, b,c ,d"});
  EXPECT_EQ(f.out("print(re.count(context, ','))"), "3\n");
  EXPECT_EQ(f.out("print(table.concat(re.split(context, '\\\\s*,\\\\s*'), '|'))"), "a|b|c|d\n");
  EXPECT_EQ(f.out("print(table.concat(re.split(context, ',', 2), '|'))"), "a| b,c ,d\n");
  EXPECT_EQ(f.out("print(re.replace(context, '(\\\\w)', '<\\\\1>'))"), "<a>, <b>,<c> ,<d>\t4\n");
  EXPECT_EQ(f.out("print(re.replace(context, ',', ';', 1))"), "a; b,c ,d\t1\n");
}

TEST(LuaRegex, AHugeReplacementIsRefusedBeforeItIsBuilt) {
  SandboxFixture f;
  const auto result =
      f.sandbox.run("x = 1 print(pcall(re.replace, ('a'):rep(1000), 'a+', ('\\\\0'):rep(5e6)))");
  EXPECT_FALSE(result.error);
  EXPECT_THAT(result.output, HasSubstr("false\tre.replace: the result would be over 32 MB"));
  EXPECT_LT(result.peak_memory_bytes, 64ULL << 20);
}

TEST(LuaRegex, HugePatternsAreRefusedBeforeRe2ParsesThem) {
  SandboxFixture f;
  const auto result = f.sandbox.run("re.count('abc', ('(?:a){0}'):rep(5e5))");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message,
              HasSubstr("the pattern has 4000000 bytes, more than the 32 KB allowed"));
  EXPECT_LT(result.seconds, 0.5);
}

TEST(LuaRegex, BadPatternIsAClearError) {
  SandboxFixture f;
  const auto result = f.sandbox.run("re.find(context, '(unclosed')");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("re.find: bad pattern: missing ): (unclosed"));
}

TEST(LuaRegex, ReplaceOutputIsBoundedByTheMemoryLimit) {
  Limits limits = testing::small_limits();
  limits.cell_timeout_seconds = 30; // the size check, not the clock, must end it
  SandboxFixture f({"x"}, limits);
  const auto result =
      f.sandbox.run("local s = string.rep('x', 1000000) re.replace(s, 'x', string.rep('y', 100))");
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("re.replace: the result would be over 32 MB"));
  EXPECT_LT(result.peak_memory_bytes, 64ULL << 20);
}

TEST(LuaText, LineAndLinesWithNegativeIndices) {
  SandboxFixture f({"one\ntwo\nthree\n"});
  EXPECT_EQ(f.out("print(line(1), line(-1), line(3), line(4), line(0))"),
            "one\tthree\tthree\tnil\tnil\n");
  EXPECT_EQ(f.out("print(lines(2, 3))"), "two\nthree\n");
  EXPECT_EQ(f.out("print(lines(-2, -1))"), "two\nthree\n");
  EXPECT_EQ(f.out("print(lines(2))"), "two\n");
  EXPECT_EQ(f.out("print('[' .. lines(5, 9) .. ']')"), "[]\n");
}

TEST(LuaText, SliceNeverCutsACharacter) {
  SandboxFixture f({"añb日c"});
  EXPECT_EQ(f.out("print(slice(context, 2, 2))"), "ñ\n"); // byte 2 starts ñ: widened to it
  EXPECT_EQ(f.out("print(slice(context, 3, 3))"), "ñ\n"); // byte 3 is inside ñ
  EXPECT_EQ(f.out("print(slice(context, -4, -1))"), "日c\n");
  EXPECT_EQ(f.out("print(slice(context, 1))"), "añb日c\n");
  EXPECT_EQ(f.out("print('[' .. slice(context, 5, 2) .. ']')"), "[]\n");
}

TEST(LuaText, ChunkBySizePrefersLineBreaksAndOverlaps) {
  SandboxFixture f;
  EXPECT_EQ(
      f.out("for _, c in ipairs(chunk('aaaa\\nbbbb\\ncccc', 5)) do print('[' .. c .. ']') end"),
      "[aaaa\n]\n[bbbb\n]\n[cccc]\n");
  EXPECT_EQ(f.out("print(table.concat(chunk('abcdefghij', 4, 2), '|'))"), "abcd|cdef|efgh|ghij\n");
  EXPECT_EQ(f.out("print(#chunk('日本語日本語', 4))"), "6\n"); // never splits a 3-byte character
  const auto bad = f.sandbox.run("chunk('abc', 4, 4)");
  ASSERT_TRUE(bad.error);
  EXPECT_THAT(bad.error->message, HasSubstr("overlap must be at least 0 and less than the size"));
}

TEST(LuaText, ChunkByLines) {
  SandboxFixture f;
  EXPECT_EQ(f.out("print(table.concat(chunk_lines('1\\n2\\n3\\n4\\n5', 2), '|'))"),
            "1\n2\n|3\n4\n|5\n");
  EXPECT_EQ(f.out("print(table.concat(chunk_lines('1\\n2\\n3\\n4', 3, 1), '|'))"),
            "1\n2\n3\n|3\n4\n");
}

TEST(LuaText, GrepGivesLineNumbersAndSurroundingLines) {
  SandboxFixture f({"alpha\nbeta ERROR\ngamma\ndelta\nERROR epsilon\n"});
  EXPECT_EQ(f.out("for _, h in ipairs(grep('ERROR')) do print(h.line, h.text) end"),
            "2\tbeta ERROR\n5\tERROR epsilon\n");
  EXPECT_EQ(f.out("local h = grep('ERROR', 1) for _, x in ipairs(h) do "
                  "print(x.line, x.first, x.last, x.before, x.text, x.after) end"),
            "2\t1\t3\talpha\tbeta ERROR\tgamma\n5\t4\t5\tdelta\tERROR epsilon\t\n");
  EXPECT_EQ(f.out("for _, h in ipairs(grep('^ERROR|ERROR$')) do print(h.line) end"),
            "2\n5\n"); // ^ $ per line
  EXPECT_EQ(f.out("print(re.find(context, '^beta'), re.find(context, '(?m)^beta'))"),
            "nil\t7\t10\n");
}

TEST(LuaText, AGrepHitsTextIsItsOwnLineWhateverTheLinesAround) {
  SandboxFixture f({"a\nb x\nc\nd x\ne\n"});
  EXPECT_EQ(f.out("for _, h in ipairs(grep('x', 3)) do print(line(h.line) == h.text) end"),
            "true\ntrue\n");
  EXPECT_EQ(f.out("local h = grep('x', 1)[2] print('[' .. h.before .. ']', '[' .. h.after .. ']')"),
            "[c]\t[e]\n");
  EXPECT_EQ(f.out("local h = grep('^a', 0)[1] print('[' .. h.before .. h.after .. ']')"), "[]\n");
}

TEST(LuaText, GrepCountsEveryMatchingLineEvenPastMax) {
  SandboxFixture f({"x1\nx2\ny\nx3 x4\nx5\n"});
  EXPECT_EQ(f.out("local h = grep('x', 0, 2) print(#h, h.total)"),
            "[grep: 2 of 4 matching lines returned (its max cut the rest); the result's .total "
            "is 4]\n2\t4\n");
  EXPECT_EQ(f.out("print(grep('x', 0, 2))"),
            "[grep: 2 of 4 matching lines returned (its max cut the rest); the result's .total "
            "is 4]\ngrep result: 2 of 4 matching lines (cut by max; .total = 4)\n");
  EXPECT_EQ(f.out("print(grep('x'))"), "grep result: 4 matching lines\n");
  EXPECT_EQ(f.out("print(grep('zzz').total, #grep('zzz'))"), "0\t0\n");
}

TEST(LuaText, OnlyTheFirstThreeCappedGrepsOfACellAreNoted) {
  SandboxFixture f({"x\nx\n"});
  const auto out = f.out("for i = 1, 5 do grep('x', 0, 1) end");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(LuaText, TheSharedMetatableOfGrepResultsIsProtected) {
  SandboxFixture f({"x\n"});
  EXPECT_EQ(f.out("print(getmetatable(grep('x')), pcall(setmetatable, grep('x'), {}))"),
            "grep result\tfalse\tcannot change a protected metatable\n");
}

TEST(LuaText, ALuaPatternClassInARegexThatMatchedNothingGetsANote) {
  SandboxFixture f({"id 42\n"});
  const std::string note = "[note: nothing matched; %d is a Lua pattern class, but grep and re.* "
                           "take RE2 regexes, which write \\d]\n";
  EXPECT_EQ(f.out("print(#grep('%d+'))"), note + "0\n");
  EXPECT_EQ(f.out("print(re.find(context, 'id %d'))"), note + "nil\n");
  EXPECT_EQ(f.out("print(re.count(context, '%d'), #re.findall(context, '%d'))"),
            note + note + "0\t0\n");
  EXPECT_EQ(f.out("print(#grep([[\\d+]]), #grep('50%'), #grep('100%%'))"), "1\t0\t0\n");
}

TEST(LuaText, EdgesFoundByTheAttackReview) {
  SandboxFixture f({"one\ntwo\n"});
  EXPECT_EQ(f.out("print('[' .. slice('hello', 1, -100) .. ']', slice('hello', 1, -4))"),
            "[]\the\n"); // as string.sub
  EXPECT_EQ(f.out("print(#chunk('日本', 1), chunk('日本', 1)[1])"),
            "2\t日\n"); // never half a character
  EXPECT_EQ(
      f.out(
          "local h = grep('two', math.maxinteger - 5)[1] print(h.before, h.text, h.first, h.last)"),
      "one\ttwo\t1\t2\n");
}

TEST(LuaText, EmptyDocumentEdges) {
  SandboxFixture f({"x"});
  EXPECT_EQ(f.out("print(line(1), line(2), #grep('y'), #chunk('', 10), #chunk_lines('', 3))"),
            "x\tnil\t0\t0\t0\n");
}

TEST(LuaTools, HundredMegabyteDocument) {
  std::string big;
  big.reserve(100U << 20);
  for (int i = 0; big.size() < (100U << 20); ++i)
    big += "record " + std::to_string(i) + " status=ok\n";
  big += "record final status=NEEDLE\n";
  Limits limits = testing::small_limits();
  limits.memory_limit_bytes = 1LL << 30;
  limits.cell_timeout_seconds = 30;
  SandboxFixture f({big}, limits);
  EXPECT_EQ(f.out("print(line(-1))"), "record final status=NEEDLE\n");
  EXPECT_EQ(f.out("local h = grep('NEEDLE') print(#h, h[1].line == context_lines)"), "1\ttrue\n");
  EXPECT_EQ(f.out("print(re.count(context, 'NEEDLE'), select(2, re.find(context, 'status=NEEDLE')) "
                  "== #context - 1)"),
            "1\ttrue\n");
  EXPECT_EQ(f.out("print(#chunk(context, 10 * 1024 * 1024) >= 10)"), "true\n");
}

} // namespace
} // namespace rlm::lua
