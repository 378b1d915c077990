// The pre-scan that keeps toml++ 3.3.0's bugs away: it must find each hazard (deep keys,
// headers starting with a dot, bare non-ASCII, binary text) and never refuse valid TOML.
#include "config/toml_defuse.hpp"
#include "config/toml_guard.hpp"

#include <gtest/gtest.h>

namespace rlm::config {
namespace {

std::string repeated(std::string_view part, int n, std::string_view separator) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(i > 0 ? separator : "").append(part);
  return out;
}

TEST(TomlGuard, ValidTomlPasses) {
  const char* valid[] = {
      "\xEF\xBB\xBF\"\xC3\xA9\" = 1\n", // a byte-order mark, then a quoted non-ASCII key
      "name = \"caf\xC3\xA9 # not a comment\" # a comment: \xC3\xA9\n",
      "a = 'it''s'\n", // not valid TOML, but no hazard: toml++ reports it
      "s = \"\"\"\nline one \\\n  joined \xC3\xA9\n\"\"\"\"\n",
      "t = '''\n\"quotes\" and 'one' \xC3\xA9\n'''\n",
      "[providers.x]\nmodel = \"qwen2.5:7b\"\n",
      "inline = { a = 1, b = \"\xC3\xA9\", c = [1, 2] }\n",
      "x.\"a.b\".c = 1\n",
      "when = 1979-05-27T07:32:00.999Z\n",
  };
  for (const auto* text : valid) EXPECT_FALSE(find_parser_hazard(text)) << text;
  // Dots in values are no key parts: 70 floats on one line, or on a line inside an array.
  EXPECT_FALSE(find_parser_hazard("x = [" + repeated("0.5", 70, ", ") + "]\n"));
  EXPECT_FALSE(find_parser_hazard("x = [\n  " + repeated("0.5", 70, ", ") + "\n]\n"));
}

TEST(TomlGuard, DeepKeysAreFoundWhereverKeysStand) {
  EXPECT_TRUE(find_parser_hazard(repeated("a", 70, ".") + " = 1\n"));
  EXPECT_TRUE(find_parser_hazard(repeated("1", 70, ".") + " = 1\n")); // numeric parts
  EXPECT_TRUE(find_parser_hazard("[" + repeated("a", 70, ".") + "]\n"));
  EXPECT_TRUE(find_parser_hazard("[[" + repeated("a", 70, ".") + "]]\n")); // array of tables
  EXPECT_TRUE(
      find_parser_hazard("[ [" + repeated("a", 70, ".") + "]]\n")); // no name after the first [
  EXPECT_FALSE(find_parser_hazard("[[" + repeated("a", 60, ".") + "]]\nx = [[1.5, 2.5]]\n"));
  EXPECT_TRUE(find_parser_hazard("x = { " + repeated("a", 70, ".") + " = 1 }\n"));
  EXPECT_TRUE(find_parser_hazard("x = { y = 1, " + repeated("a", 70, ".") + " = 1 }\n"));
  // An escaped quote does not end a string early and hide the dots after it.
  const auto found = find_parser_hazard("\"\\\"\"." + repeated("a", 70, ".") + " = 1\n");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->message, "a key with more than 64 dotted parts");
}

TEST(TomlGuard, EachToml3Hazard) {
  EXPECT_EQ(find_parser_hazard("[.")->message, "a table header that does not start with a name");
  EXPECT_EQ(find_parser_hazard("[[ .a]]\n")->message,
            "a table header that does not start with a name");
  for (const auto* header : {"[~", "[[ ~]]", "[#", "[=", "[\n", "[ \t.x]"})
    EXPECT_TRUE(find_parser_hazard(header)) << header;
  for (const auto* header : {"[a]", "[ \"a\" ]", "['a']", "[-]", "[1]", "[ ]", "[]", "["})
    EXPECT_FALSE(find_parser_hazard(header)) << header;
  EXPECT_EQ(find_parser_hazard("name = \"x\"\n\xC3\xA9 = 1\n")->line, 2);
  // A quote glued to a number opens no string for toml++: what follows is bare.
  EXPECT_TRUE(find_parser_hazard("D=4'\xCF\xB4'"));
  EXPECT_TRUE(find_parser_hazard(std::string_view("a = 1\0", 6)));
  EXPECT_EQ(find_parser_hazard("a = \"\xFF\"\n")->message, "not UTF-8 text (a byte 0xFF)");
  EXPECT_TRUE(find_parser_hazard("s = \"\\\xEF\xB8\xBF\"\n"));             // "\︿"
  EXPECT_TRUE(find_parser_hazard("s = \"\"\"\\  \xEF\xB8\xBF\n\"\"\"\n")); // continuation
  EXPECT_FALSE(find_parser_hazard("s = \"caf\xC3\xA9 \\\\ \xC3\xA9\"\n")); // an escaped backslash
}

TEST(TomlGuard, LineNumbersSurviveLineEndingBackslashes) {
  const auto found = find_parser_hazard("s = \"\"\"\none \\\ntwo \\\n\"\"\"\n\xC3\xA9 = 1\n");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->line, 5);
}

TEST(TomlDefuse, SwapsOnlyTheCharactersTheBugNeedsAndKeepsLengths) {
  EXPECT_FALSE(defuse("plain = \"ascii\"\n"));
  EXPECT_FALSE(defuse("s = \"\xE4\xB8\x80 \xF0\x9F\x98\x80 \xE3\x80\x80\"\n"));   // safe ones
  const std::string text = "s = \"\xC3\xA9\xEF\xB8\xBF\xE2\xBB\xBF \xC3\xA9\"\n"; // é ︿ U+2EFF é
  const auto defused = defuse(text);
  ASSERT_TRUE(defused);
  EXPECT_EQ(defused->text.size(), text.size());
  EXPECT_EQ(defused->text.find("\xC3\xA9"), std::string::npos);
  EXPECT_EQ(defused->swaps.size(), 3U); // one stand-in for each different character
  EXPECT_EQ(defused->restore(defused->text), text);
}

TEST(TomlDefuse, AStandInIsNeverACharacterTheTextHasAlready) {
  const std::string text = "a = \"\xD2\x9A\xC3\xA9\"\n"; // U+049A (the first stand-in), é
  const auto defused = defuse(text);
  ASSERT_TRUE(defused);
  EXPECT_EQ(defused->restore(defused->text), text);
}

} // namespace
} // namespace rlm::config
