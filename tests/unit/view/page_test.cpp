#include "rlm/view/page.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rlm::view {
namespace {

// A trajectory whose texts try every way out of a <script> element.
Trajectory hostile() {
  Trajectory t;
  t.lines.push_back({{"type", "run"}, {"trajectory_version", 2}, {"query", "</script><b>q</b>"}});
  t.lines.push_back({{"type", "iteration"},
                     {"reply", "</script><script>alert(1)</script> <!-- <img src=x onerror=a()>"},
                     {"cells", {{{"code", "print('\xe2\x80\xa8 & \xe2\x80\xa9')"}}}}});
  return t;
}

// The data as the page holds it.
std::string data_of(const std::string& page) {
  const std::string open = "<script id=\"trajectory\" type=\"application/json\">";
  const auto start = page.find(open);
  const auto end = page.find("</script>", start);
  if (start == std::string::npos || end == std::string::npos) return {};
  return page.substr(start + open.size(), end - start - open.size());
}

TEST(ViewPage, EscapesWhatCouldEndTheScriptOrBreakALine) {
  EXPECT_EQ(escape_for_script(R"({"a":"</script>&<!--"})"),
            R"({"a":"\u003c/script\u003e\u0026\u003c!--"})");
  EXPECT_EQ(escape_for_script("\"\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xa7\""),
            "\"\\u2028\\u2029\xe2\x80\xa7\"");
}

TEST(ViewPage, TheDataParsesBackToTheSameTextAndHoldsNoMarkup) {
  const auto page = render_page(hostile(), "run.jsonl");
  const auto data = data_of(page);
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.find_first_of("<>&"), std::string::npos);
  EXPECT_EQ(data.find("\xe2\x80\xa8"), std::string::npos);
  const auto json = nlohmann::json::parse(data);
  EXPECT_EQ(json["lines"][1]["reply"],
            "</script><script>alert(1)</script> <!-- <img src=x onerror=a()>");
  EXPECT_EQ(json["source"], "run.jsonl");
  EXPECT_EQ(json["finished"], false);
}

TEST(ViewPage, IsOnePageWithItsStyleScriptAndPolicyInline) {
  const auto page = render_page(hostile(), "run.jsonl");
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                      "'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src "
                      "data:\">"),
            std::string::npos);
  EXPECT_EQ(page.find("@rlm-"), std::string::npos); // every slot filled
  EXPECT_NE(page.find("details._build"), std::string::npos);
  EXPECT_NE(page.find("--bad-bg"), std::string::npos);
}

TEST(ViewPage, ReachesForNothingOutsideItself) {
  const auto page = render_page(Trajectory{}, "x");
  for (const char* needle : {"http:", "https:", "src=", "href=", "@import", "url(", "innerHTML",
                             "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
    EXPECT_EQ(page.find(needle), std::string::npos) << needle;
  }
}

} // namespace
} // namespace rlm::view
