// The trajectory of a whole run against the fake server: the requests, the sub-calls'
// prompts and answers, the cells' errors; and a key that a server echoes back (in an error
// and in an answer) appears nowhere in it.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/loop/trajectory.hpp"
#include "rlm/providers/factory.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlm::loop {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

constexpr const char* k_canary = "sk-canary-trajectory-0123456789abcdef";

std::vector<json> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

std::string text_of(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TrajectoryFile, RecordsTheWholeRunAndNeverTheKeyAServerEchoes) {
  // Turn 1: a sub-call the server fails with the key in its error, one it answers with the
  // key, and a cell error that carries the first one's message. Turn 2: the answer.
  const std::string code = "local ok, err = pcall(llm_query, 'first prompt')\n"
                           "second = llm_query('second prompt')\n"
                           "print(#context, second)\n"
                           "error('echoed: ' .. tostring(err))";
  testing::FakeProvider server(
      json{{"models", {{{"name", "root-m"}}, {{"name", "sub-m"}}}},
           {"replies",
            {{{"match", {{"model", "root-m"}, {"call", 1}}}, {"text", "```lua\n" + code + "\n```"}},
             {{"match", {{"model", "sub-m"}, {"contains", "first"}}},
              {"status", 500},
              {"error", "invalid token: {authorization}"}},
             {{"match", {{"model", "sub-m"}}}, {"text", "your key is {authorization}"}}}},
           {"default", {{"text", "FINAL(all done)"}}},
           {"expect_authorization", std::string("Bearer ") + k_canary}});
  config::Config cfg;
  for (const auto* model : {"root-m", "sub-m"}) {
    config::ProviderConfig p;
    p.type = config::ProviderType::openai;
    p.name = model;
    p.base_url = server.base_url() + "/v1";
    p.model = model;
    p.role = std::string(model) == "root-m" ? config::Role::root : config::Role::sub;
    p.api_key_env = "RLM_TRAJECTORY_KEY";
    cfg.providers.push_back(p);
  }
  cfg.http.max_retries = 0;
  http::CurlTransport transport;
  const auto pool = providers::make_pool(cfg, transport, [](std::string_view name) {
    return name == "RLM_TRAJECTORY_KEY" ? std::optional<std::string>(k_canary) : std::nullopt;
  });
  document::DocumentSet docs;
  ASSERT_TRUE(docs.add_text("doc.txt", std::string(10'000, 'x')));
  RunSettings settings;
  settings.bypass_threshold = 10;
  settings.limits.cell_timeout_seconds = 60;

  const auto path = fs::temp_directory_path() / "rlm-trajectory-integration.jsonl";
  auto writer = TrajectoryWriter::open(path.string(), {{"type", "run"}, {"trajectory_version", 2}});
  ASSERT_TRUE(writer) << writer.error().message;
  const auto result =
      run(docs, "What is it?", {*pool, load_prompts("").value(), settings, **writer, nullptr});
  ASSERT_TRUE((*writer)->finish({{"answer", result.answer ? *result.answer : ""}}));
  EXPECT_EQ(result.answer, "all done");

  // The server saw the key; the file holds none of it, and the echoes are marked.
  bool sent_key = false;
  for (const auto& r : server.requests())
    sent_key = sent_key || r.value("authorization_matches", false);
  EXPECT_TRUE(sent_key);
  const auto text = text_of(path);
  EXPECT_THAT(text, Not(HasSubstr(k_canary)));
  EXPECT_THAT(text, HasSubstr("<redacted>"));

  const auto lines = lines_of(path);
  std::vector<json> requests;
  std::vector<json> iterations;
  for (const auto& line : lines) {
    if (line["type"] == "request") requests.push_back(line);
    if (line["type"] == "iteration") iterations.push_back(line);
  }
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0]["keep"], 0);
  EXPECT_EQ(requests[0]["messages"][0]["role"], "system");
  EXPECT_THAT(requests[0]["messages"][1]["content"].get<std::string>(), HasSubstr("What is it?"));
  EXPECT_EQ(requests[1]["keep"], 2); // the system prompt and the briefing, then the turn
  ASSERT_EQ(requests[1]["messages"].size(), 2U);
  EXPECT_EQ(requests[1]["messages"][0]["role"], "assistant");
  EXPECT_EQ(requests[1]["messages"][1]["content"], iterations[0]["feedback"]);

  ASSERT_EQ(iterations.size(), 2U);
  const auto& calls = iterations[0]["sub_calls"];
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0]["prompt"], "first prompt");
  EXPECT_THAT(calls[0]["error"].get<std::string>(), HasSubstr("invalid token: <redacted>"));
  EXPECT_EQ(calls[1]["prompt"], "second prompt");
  EXPECT_EQ(calls[1]["answer"], "your key is <redacted>");
  EXPECT_EQ(calls[1]["attempts"], 1);
  EXPECT_THAT(iterations[0]["cells"][0]["error_message"].get<std::string>(), HasSubstr("echoed: "));
  EXPECT_EQ(iterations[0]["run"], 0);
  fs::remove(path);
}

} // namespace
} // namespace rlm::loop
