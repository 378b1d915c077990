#include "rlm/bench/chart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace rlm::bench {
namespace {

SummaryRow row(const std::string& method, std::int64_t length, double accuracy, double tokens) {
  SummaryRow r;
  r.suite = "niah";
  r.method = method;
  r.length_tokens = length;
  r.tasks = 10;
  r.accuracy = accuracy;
  r.mean_root_tokens = tokens * 0.25;
  r.mean_sub_tokens = tokens * 0.75;
  r.mean_seconds = 3.5;
  return r;
}

// niah at 4k, 32k and 128k for rlm and vanilla, with vanilla truncated at 128k (the server cut
// the document, so some tokens were still spent).
Summary sample() {
  Summary summary;
  summary.models = {"qwen2.5:7b"};
  for (const std::int64_t length : {4096, 32768, 131072})
    summary.rows.push_back(row("rlm", length, 0.9, 20000));
  for (const std::int64_t length : {4096, 32768, 131072})
    summary.rows.push_back(
        row("vanilla", length, 0.6, 4000.0 * static_cast<double>(length / 4096)));
  summary.rows.back().truncated = 10;
  summary.rows.back().accuracy = 0;
  summary.rows.back().mean_root_tokens = 500;
  summary.rows.back().mean_sub_tokens = 0;
  return summary;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Every value of `attribute="..."` in `html`, in order.
std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  const std::string opening = " " + attribute + "=\"";
  std::vector<std::string> values;
  for (auto at = html.find(opening); at != std::string::npos; at = html.find(opening, at + 1)) {
    const auto start = at + opening.size();
    values.push_back(html.substr(start, html.find('"', start) - start));
  }
  return values;
}

// Every number in the SVG geometry attributes, parsed; "nan" and "inf" parse as themselves.
std::vector<double> geometry_numbers(const std::string& html) {
  std::vector<double> numbers;
  for (const char* attribute :
       {"points", "x", "y", "cx", "cy", "x1", "y1", "x2", "y2", "width", "height", "transform"}) {
    for (auto value : attribute_values(html, attribute)) {
      std::replace_if(
          value.begin(), value.end(), [](char c) { return c == ',' || c == '(' || c == ')'; }, ' ');
      std::istringstream words(value);
      for (std::string word; words >> word;) {
        char* end = nullptr;
        const double number = std::strtod(word.c_str(), &end);
        if (end == word.c_str() + word.size()) numbers.push_back(number); // not "rotate"
      }
    }
  }
  return numbers;
}

void expect_all_finite(const std::string& html) {
  const auto numbers = geometry_numbers(html);
  ASSERT_FALSE(numbers.empty());
  for (const double n : numbers) EXPECT_TRUE(std::isfinite(n)) << n;
}

TEST(ChartHtml, OnePolylinePerMethodInEachOfTheTwoCharts) {
  const auto html = chart_html(sample(), "bench");
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 2u);
  EXPECT_EQ(count(html, "<polyline"), 4u);
  EXPECT_EQ(count(html, "<g class=\"series\" data-method=\"rlm\">"), 2u);
  EXPECT_EQ(count(html, "<g class=\"series\" data-method=\"vanilla\">"), 2u);
}

TEST(ChartHtml, OnePointPerRowInEachChart) {
  const auto html = chart_html(sample(), "bench");
  EXPECT_EQ(count(html, "<g class=\"point\">"), 12u);
  const std::regex line(R"re(<polyline class="line" points="([^"]*)")re");
  std::size_t lines = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), line), end; it != end; ++it, ++lines)
    EXPECT_EQ(count((*it)[1], ","), 3u) << (*it)[1];
  EXPECT_EQ(lines, 4u);
}

TEST(ChartHtml, MethodsGetDistinctColoursAndALegend) {
  auto summary = sample();
  summary.rows.push_back(row("rlm-no-sub", 4096, 0.5, 1000));
  const auto html = chart_html(summary, "bench");
  const auto colours = attribute_values(html, "data-color");
  ASSERT_EQ(colours.size(), 3u);
  EXPECT_NE(colours[0], colours[1]);
  EXPECT_NE(colours[1], colours[2]);
  EXPECT_NE(colours[0], colours[2]);
  EXPECT_EQ(count(html, "<li data-method=\"rlm-no-sub\""), 1u);
}

TEST(ChartHtml, AxesAreLabelledInTokens) {
  auto summary = sample();
  summary.rows.push_back(row("rlm", 1048576, 0.8, 900000));
  const auto html = chart_html(summary, "bench");
  for (const char* label :
       {">4k<", ">8k<", ">128k<", ">1M<", ">0%<", ">100%<", ">1k<", ">10k<", ">100k<"})
    EXPECT_NE(html.find(label), std::string::npos) << label;
}

TEST(ChartHtml, AllTruncatedPointsAreHollowAndExplained) {
  const auto html = chart_html(sample(), "bench");
  // the truncated vanilla point in each chart, plus the legend's example marker
  EXPECT_EQ(count(html, "fill=\"#ffffff\""), 3u);
  EXPECT_NE(html.find("did not fit the model's context"), std::string::npos);
  EXPECT_EQ(count(html, "<tr class=\"truncated\">"), 1u);
}

TEST(ChartHtml, RowsWithoutTokensLeaveOnlyTheTokenChart) {
  auto summary = sample();
  summary.rows.back().mean_root_tokens = 0; // the document never reached the model
  const auto html = chart_html(summary, "bench");
  EXPECT_EQ(count(html, "<g class=\"point\">"), 11u);
  const auto tokens_chart = html.substr(html.rfind("<svg class=\"chart\""));
  const auto vanilla = tokens_chart.substr(tokens_chart.find("data-method=\"vanilla\""));
  EXPECT_EQ(count(vanilla, "<g class=\"point\">"), 2u);
  EXPECT_EQ(count(html, "<tr class=\"truncated\">"), 1u); // the table still has the row
}

TEST(ChartHtml, NoTruncationNoNote) {
  auto summary = sample();
  summary.rows.back().truncated = 0;
  const auto html = chart_html(summary, "bench");
  EXPECT_EQ(html.find("did not fit"), std::string::npos);
  EXPECT_EQ(html.find("#ffffff"), std::string::npos);
}

TEST(ChartHtml, EscapesEveryStringFromTheData) {
  const std::string evil = "<script>alert(\"x\")</script>&'";
  Summary summary;
  summary.labels = {evil};
  summary.models = {evil};
  auto r = row(evil, 4096, 0.5, 100);
  r.suite = evil;
  summary.rows.push_back(r);
  const auto html = chart_html(summary, evil);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("alert(\"x\")"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"),
            std::string::npos);
}

TEST(ChartHtml, LabelsAreShownProminently) {
  auto summary = sample();
  summary.labels = {"scripted model"};
  const auto html = chart_html(summary, "bench");
  EXPECT_NE(html.find("<p class=\"labels\">"), std::string::npos);
  EXPECT_NE(html.find("<strong class=\"label\">scripted model</strong>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"model\">qwen2.5:7b</span>"), std::string::npos);
}

TEST(ChartHtml, NoLabelsNoBanner) {
  EXPECT_EQ(chart_html(sample(), "bench").find("class=\"labels\""), std::string::npos);
}

TEST(ChartHtml, EmptySummarySaysSo) {
  const auto html = chart_html(Summary{}, "nothing yet");
  EXPECT_NE(html.find("No results to show."), std::string::npos);
  EXPECT_NE(html.find("<h1>nothing yet</h1>"), std::string::npos);
  EXPECT_EQ(html.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_EQ(html.rfind("</html>\n"), html.size() - 8);
}

TEST(ChartHtml, SingleLengthSingleMethod) {
  Summary summary;
  summary.rows.push_back(row("rlm", 8192, 0, 500));
  const auto html = chart_html(summary, "bench");
  EXPECT_EQ(count(html, "<polyline"), 2u);
  EXPECT_EQ(count(html, "<g class=\"point\">"), 2u);
  EXPECT_NE(html.find(">8k<"), std::string::npos);
  expect_all_finite(html);
}

TEST(ChartHtml, ZeroAndExtremeValuesStayFinite) {
  Summary summary;
  summary.rows.push_back(row("rlm", 4096, 0, 0));
  summary.rows.push_back(row("rlm", 0, std::numeric_limits<double>::quiet_NaN(), 1e300));
  summary.rows.push_back(row("vanilla", std::numeric_limits<std::int64_t>::max(), 7,
                             std::numeric_limits<double>::infinity()));
  summary.rows.push_back(row("vanilla", 4096, -1, -5));
  summary.rows.back().mean_cost = std::numeric_limits<double>::infinity();
  summary.rows.back().mean_seconds = std::numeric_limits<double>::quiet_NaN();
  const auto html = chart_html(summary, "bench");
  expect_all_finite(html);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find(">inf<"), std::string::npos);
}

TEST(ChartHtml, AllZeroAccuracyAndTokens) {
  Summary summary;
  for (const std::int64_t length : {4096, 8192})
    for (const char* method : {"rlm", "vanilla"}) summary.rows.push_back(row(method, length, 0, 0));
  const auto html = chart_html(summary, "bench");
  expect_all_finite(html);
  EXPECT_EQ(count(html, "<polyline"), 2u); // accuracy only
  EXPECT_NE(html.find("no tokens were recorded"), std::string::npos);
}

TEST(ChartHtml, CostColumnOnlyWhenPriced) {
  auto summary = sample();
  EXPECT_EQ(chart_html(summary, "bench").find("<th>cost</th>"), std::string::npos);
  summary.rows.front().mean_cost = 0.0123;
  const auto html = chart_html(summary, "bench");
  EXPECT_NE(html.find("<th>cost</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>0.0123</td>"), std::string::npos);
}

TEST(ChartHtml, OneSectionPerSuite) {
  auto summary = sample();
  auto other = row("rlm", 4096, 1, 100);
  other.suite = "aggregate";
  summary.rows.push_back(other);
  const auto html = chart_html(summary, "bench");
  EXPECT_EQ(count(html, "<section class=\"suite\">"), 2u);
  EXPECT_NE(html.find("<h2>aggregate</h2>"), std::string::npos);
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 4u);
}

TEST(ChartHtml, NoScriptsOrExternalResources) {
  const auto html = chart_html(sample(), "bench");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST(ChartHtml, SameInputSameBytes) {
  EXPECT_EQ(chart_html(sample(), "bench"), chart_html(sample(), "bench"));
}

} // namespace
} // namespace rlm::bench
