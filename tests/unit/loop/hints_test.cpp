// One test per slip: the code a model trained on Python writes, the error Lua 5.4 gives for
// it (as `rlm lua` printed it), and the hint that names the Lua form.
#include "loop/hints.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using Kind = lua::CellError::Kind;

std::string hint(std::string_view code, std::string message, Kind kind = Kind::runtime) {
  return error_hint(code, {kind, std::move(message)}).value_or("(no hint)");
}

TEST(Hints, LenBecomesTheLengthOperator) {
  EXPECT_EQ(hint("print(len(context))", "cell:1: attempt to call a nil value (global 'len')"),
            "Lua has no len(): the length of a string or table is #x (e.g. #context)");
}

TEST(Hints, IoWriteBecomesPrint) {
  EXPECT_THAT(hint("io.write('x')", "cell:1: attempt to index a nil value (global 'io')"),
              HasSubstr("print(a, b) writes the output"));
}

TEST(Hints, RequireIsNotNeeded) {
  EXPECT_THAT(hint("local json = require('json')",
                   "cell:1: attempt to call a nil value (global 'require')"),
              HasSubstr("nothing needs require"));
}

TEST(Hints, IndexZeroSaysTablesStartAtOne) {
  EXPECT_EQ(hint("local t = {1, 2} print(t[0].x)",
                 "cell:1: attempt to index a nil value (field 'integer index')"),
            "Lua tables start at 1: the first element is t[1], and t[0] is nil");
}

TEST(Hints, AppendBecomesTableInsert) {
  const auto expected = "Lua tables have no append: use table.insert(t, x), or t[#t + 1] = x";
  EXPECT_EQ(hint("t.append(1)", "cell:1: attempt to call a nil value (field 'append')"), expected);
  EXPECT_EQ(hint("t:append(1)", "cell:1: attempt to call a nil value (method 'append')"), expected);
}

TEST(Hints, NoneTrueFalseAreLowercaseNilTrueFalse) {
  EXPECT_THAT(hint("print(None.x)", "cell:1: attempt to index a nil value (global 'None')"),
              HasSubstr("Lua writes nil, true and false"));
  // Lua reports nothing for `x == None`: it is nil == nil. The hint comes anyway.
  EXPECT_THAT(silent_slip_hint("if x == None then print(1) end").value_or(""),
              HasSubstr("Lua writes nil, true and false"));
  EXPECT_THAT(silent_slip_hint("done = True").value_or(""), HasSubstr("(lowercase)"));
}

TEST(Hints, NoneInsideAStringOrCommentOrAsAFieldIsNotASlip) {
  EXPECT_EQ(silent_slip_hint("print('None of them') -- True\nprint(t.None, [[False]])"),
            std::nullopt);
  EXPECT_EQ(silent_slip_hint("local NoneSeen = true"), std::nullopt);
}

TEST(Hints, StringMethodsWithADotGetTheColon) {
  EXPECT_EQ(hint("local s = 'abc' print(s.upper())",
                 "cell:1: bad argument #1 to 'upper' (string expected, got no value)"),
            "call string methods with a colon: s:upper(...); s.upper(...) passes no string");
}

TEST(Hints, PythonStringMethodsNameTheLuaForm) {
  EXPECT_THAT(hint("s:split(',')", "cell:1: attempt to call a nil value (method 'split')"),
              HasSubstr("re.split(s, pattern)"));
  EXPECT_THAT(
      hint("s:startswith('a')", "cell:1: attempt to call a nil value (method 'startswith')"),
      HasSubstr("s:sub(1, #prefix) == prefix"));
  EXPECT_THAT(
      hint("for k, v in t.items() do end", "cell:1: attempt to call a nil value (field 'items')"),
      HasSubstr("pairs(t)"));
  EXPECT_THAT(hint("print(', '.join(t))", "cell:1: ')' expected near '.'", Kind::syntax),
              HasSubstr("table.concat(t, ', ')"));
}

TEST(Hints, FStringsBecomeStringFormat) {
  EXPECT_THAT(hint("print(f\"hi {x}\")", "cell:1: attempt to call a nil value (global 'f')"),
              HasSubstr("string.format('%s has %d', name, n)"));
}

TEST(Hints, ANilGivenToStringFormat) {
  EXPECT_THAT(hint("print(string.format('%d', count))",
                   "cell:1: bad argument #2 to 'format' (number expected, got nil)"),
              HasSubstr("a value given to string.format is nil"));
}

TEST(Hints, ANilGivenToAToolNamesTheArgument) {
  EXPECT_EQ(hint("grep(pattern)", "cell:1: bad argument #1 to 'grep' (string expected, got nil)"),
            "grep(pattern, around, max): argument 1, `pattern`, is nil; a misspelled or unset "
            "name is nil in Lua");
  EXPECT_THAT(
      hint("re.find(text, 'x')", "cell:1: bad argument #1 to 'find' (string expected, got nil)"),
      HasSubstr("re.find(s, pattern, init): argument 1, `s`, is nil"));
  EXPECT_THAT(hint("llm_query(p)",
                   "cell:1: bad argument #1 to 'llm_query' (string expected, got no value)"),
              HasSubstr("argument 1, `prompt`, is nil"));
}

TEST(Hints, PythonBuiltinsNameTheLuaForm) {
  const auto called = [](std::string_view name) {
    return hint(std::string(name) + "(x)",
                "cell:1: attempt to call a nil value (global '" + std::string(name) + "')");
  };
  EXPECT_THAT(called("range"), HasSubstr("for i = 1, n do"));
  EXPECT_THAT(called("str"), HasSubstr("tostring(x)"));
  EXPECT_THAT(called("sorted"), HasSubstr("table.sort(t)"));
  EXPECT_THAT(called("max"), HasSubstr("math.max"));
  EXPECT_THAT(called("open"), HasSubstr("already in `context`"));
}

TEST(Hints, AnUnknownNameIsSaidToBeUndefinedOrNil) {
  EXPECT_THAT(hint("frobnicate(1)", "cell:1: attempt to call a nil value (global 'frobnicate')"),
              HasSubstr("`frobnicate` is not defined"));
  EXPECT_THAT(
      hint("print('a' .. total)", "cell:1: attempt to concatenate a nil value (global 'total')"),
      HasSubstr("`total` is nil"));
}

TEST(Hints, SyntaxSlipsFromOtherLanguages) {
  EXPECT_EQ(hint("if x != 1 then end", "cell:1: syntax error near '!'", Kind::syntax),
            "Lua writes not-equal as ~= (and `not x` for !x)");
  EXPECT_EQ(hint("n += 1", "cell:1: syntax error near '+'", Kind::syntax),
            "Lua has no += or -=: write x = x + 1");
  EXPECT_THAT(hint("// count them\nprint(1)", "cell:1: unexpected symbol near '//'", Kind::syntax),
              HasSubstr("comments start with --"));
  EXPECT_THAT(hint("# count them\nprint(1)", "cell:1: unexpected symbol near '#'", Kind::syntax),
              HasSubstr("comments start with --"));
  EXPECT_THAT(
      hint("print(\"x\\d\")", "cell:1: invalid escape sequence near '\"x\\d'", Kind::syntax),
      HasSubstr("[[\\d+]]"));
  EXPECT_THAT(hint("def f():\n  pass", "cell:1: syntax error near 'f'", Kind::syntax),
              HasSubstr("this looks like Python"));
}

TEST(Hints, LuaPatternSpecialsInStringFind) {
  EXPECT_THAT(hint("string.find(context, '(')", "cell:1: unfinished capture"),
              HasSubstr("s:find(text, 1, true) searches plainly"));
  EXPECT_THAT(hint("s:match('[a')", "cell:1: malformed pattern (missing ']')"),
              HasSubstr("re.find takes an RE2 regex"));
}

TEST(Hints, ErrorsWithoutAKnownSlipGetNoHint) {
  EXPECT_EQ(error_hint("error('mine')", {Kind::runtime, "cell:1: mine"}), std::nullopt);
  EXPECT_EQ(error_hint("while true do end", {Kind::timeout, "time limit"}), std::nullopt);
  EXPECT_EQ(silent_slip_hint("print(1)"), std::nullopt);
}

} // namespace
} // namespace rlm::loop
