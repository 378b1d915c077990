// The loop against the fake server: Ctrl-C stops a waiting model call and a running cell.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/factory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rlm::loop {
namespace {

using nlohmann::json;

struct LoopFixture {
  // `sub`: a sub provider of its own on the same server (else the root serves sub-calls).
  // `type`: the root's API (an OpenAI-compatible one asks /props for its window).
  explicit LoopFixture(json replies, std::optional<config::ProviderConfig> sub = std::nullopt,
                       config::ProviderType type = config::ProviderType::ollama)
      : server(json{{"models", {{{"name", "m"}, {"context_length", 32768}}}},
                    {"replies", std::move(replies)},
                    {"default", {{"text", "FINAL(default)"}}}}) {
    config::ProviderConfig p;
    p.type = type;
    p.name = "fake";
    p.base_url = server.base_url() + (type == config::ProviderType::ollama ? "" : "/v1");
    p.model = "m";
    if (type == config::ProviderType::ollama) p.context_length = 32768;
    cfg.providers = {p};
    if (sub) {
      sub->base_url = server.base_url();
      sub->role = config::Role::sub;
      cfg.providers.push_back(*sub);
    }
    cfg.http.max_retries = 0;
    pool = providers::make_pool(cfg, transport, [](std::string_view) { return std::nullopt; });
    EXPECT_TRUE(docs.add_text("doc.txt", std::string(10'000, 'x')));
    settings.bypass_threshold = 10;
    settings.limits.cell_timeout_seconds = 60;
  }

  RunResult run_quietly() {
    Observer quiet;
    return run(docs, "q", {*pool, load_prompts("").value(), settings, quiet, nullptr});
  }

  int requests_naming(const std::string& model) const {
    int n = 0;
    for (const auto& r : server.requests())
      n += r["body"].is_object() && r["body"].value("model", "") == model ? 1 : 0;
    return n;
  }

  RunResult run_cancelled_after(std::chrono::milliseconds delay, double& seconds) {
    std::atomic<bool> cancel{false};
    std::jthread ctrl_c([&] {
      std::this_thread::sleep_for(delay);
      cancel = true;
    });
    Observer quiet;
    const auto started = std::chrono::steady_clock::now();
    auto result = run(docs, "q", {*pool, load_prompts("").value(), settings, quiet, &cancel});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  testing::FakeProvider server;
  http::CurlTransport transport;
  config::Config cfg;
  std::unique_ptr<providers::Pool> pool;
  document::DocumentSet docs;
  RunSettings settings;
};

TEST(RunLoop, CtrlCAbortsAModelCallThatIsStillWaiting) {
  LoopFixture f(json::array({{{"fault", "stall"}, {"stall_seconds", 60}}}));
  double seconds = 0;
  const auto result = f.run_cancelled_after(std::chrono::milliseconds(300), seconds);
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_LT(seconds, 10.0);
}

TEST(RunLoop, CtrlCStopsACellThatRunsForever) {
  LoopFixture f(
      json::array({{{"match", {{"call", 1}}}, {"text", "```lua\nwhile true do end\n```"}}}));
  double seconds = 0;
  const auto result = f.run_cancelled_after(std::chrono::milliseconds(500), seconds);
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_LT(seconds, 10.0); // far below the 60 s cell limit
}

config::ProviderConfig sub_model(const std::string& model,
                                 std::optional<std::int64_t> context_length = std::nullopt) {
  config::ProviderConfig p;
  p.name = "sub";
  p.model = model;
  p.context_length = context_length;
  return p;
}

TEST(RunLoop, ASubModelThatDoesNotExistStopsTheRunAtOnceWithTheFix) {
  // Twenty sub-calls in a loop that catches each error: the first failure ends the cell.
  LoopFixture f(json::array({{{"match", {{"call", 1}}},
                              {"text", "```lua\nfor i = 1, 20 do pcall(llm_query, 'q' .. i) "
                                       "end\nFINAL('a guess')\n```"}}}),
                sub_model("nosuch:1b"));
  const auto result = f.run_quietly();
  EXPECT_EQ(result.stop, StopReason::provider);
  ASSERT_TRUE(result.provider_error);
  EXPECT_EQ(*result.provider_error, providers::ProviderError::Kind::model_not_found);
  EXPECT_NE(result.message.find("ollama pull nosuch:1b"), std::string::npos) << result.message;
  EXPECT_FALSE(result.answer); // never the model's guess
  // Two /api/show (the prompt's window probe at start, then the call's own); no chat was sent.
  EXPECT_EQ(f.requests_naming("nosuch:1b"), 2);
  EXPECT_EQ(result.sub_calls_failed, 1);
}

TEST(RunLoop, AMissingSubModelStopsTheRunFromANestedRunToo) {
  // max_depth 2: a long prompt becomes a nested run, whose root is the (missing) sub model.
  LoopFixture f(json::array({{{"match", {{"call", 1}}},
                              {"text", "```lua\npcall(llm_query, string.rep('x', 200))\n"
                                       "FINAL('a guess')\n```"}}}),
                sub_model("nosuch:1b"));
  f.settings.max_depth = 2;
  const auto result = f.run_quietly();
  EXPECT_EQ(result.stop, StopReason::provider);
  EXPECT_EQ(result.provider_error, providers::ProviderError::Kind::model_not_found);
  EXPECT_FALSE(result.answer);
}

TEST(RunLoop, ATransientSubCallFailureIsCountedAndTheRunGoesOn) {
  LoopFixture f(json::array(
      {{{"match", {{"call", 1}}},
        {"text", "```lua\nlocal n = #context\nlocal ok, e = pcall(llm_query, 'first')\n"
                 "local a = llm_query('second')\nFINAL(a)\n```"}},
       {{"match", {{"contains", "first"}}}, {"status", 500}, {"error", "the GPU fell over"}},
       {{"match", {{"contains", "second"}}}, {"text", "forty-two"}}}));
  const auto result = f.run_quietly();
  EXPECT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "forty-two");
  EXPECT_EQ(result.sub_calls, 2);
  EXPECT_EQ(result.sub_calls_failed, 1);
  ASSERT_EQ(result.sub_call_errors.size(), 1U);
  EXPECT_NE(result.sub_call_errors[0].find("the GPU fell over"), std::string::npos);
}

TEST(RunLoop, ASubCallPromptTooLargeForTheSubModelTellsTheModelHowToSplit) {
  LoopFixture f(json::array({{{"match", {{"call", 1}}},
                              {"text", "```lua\nlocal ok, e = pcall(llm_query, context)\n"
                                       "print(e)\n```"}}}),
                sub_model("m", 1024));
  f.settings.max_iterations = 2;
  const auto result = f.run_quietly();
  EXPECT_EQ(result.sub_calls_failed, 1);
  // The second root request carries the cell's output: the error with the size that fits.
  std::string feedback;
  for (const auto& r : f.server.requests()) {
    if (r["path"] == "/api/chat" && r["body"]["messages"].size() > 2)
      feedback = r["body"]["messages"].back()["content"];
  }
  EXPECT_NE(feedback.find("split the text into pieces of at most"), std::string::npos) << feedback;
}

// deepseek-r1 on a server that leaves <think> in the content (constructed from Ollama's
// source: tests/captures/constructed/): the FINAL guessed inside never runs, the block after
// </think> does, and the history sent back holds the answer without the reasoning.
TEST(RunLoop, AGuessInsideThinkNeverRunsAndTheReasoningNeverGoesBack) {
  LoopFixture f(
      json::array({{{"match", {{"call", 1}}},
                    {"replay", "constructed/ollama/04-deepseek-r1-think-in-content-stream"}}}));
  const auto result = f.run_quietly();
  EXPECT_EQ(result.stop, StopReason::final_answer);
  EXPECT_EQ(result.answer, "default"); // turn 2's plain FINAL, accepted: turn 1 read the document
  std::vector<json> chats;
  for (const auto& r : f.server.requests())
    if (r["path"] == "/api/chat") chats.push_back(r["body"]);
  ASSERT_EQ(chats.size(), 2U);
  const auto& history = chats[1]["messages"];
  ASSERT_EQ(history.size(), 4U);
  EXPECT_EQ(history[2]["content"],
            "Let me look at the document first.\n```lua\nprint(#context)\n```");
  EXPECT_EQ(history[3]["content"].get<std::string>().rfind("Output:\n10000\n", 0), 0U);
  EXPECT_EQ(chats[1].dump().find("GUESSED"), std::string::npos);
}

// A llama-server that refuses a conversation grown past its window (its real 400, replayed),
// though rlm estimated it fits: rlm compacts the older turns, sends it once more, and the run
// goes on to the answer it kept in a REPL variable.
TEST(RunLoop, AConversationTheServerRefusesAsTooLongIsCompactedAndTheRunGoesOn) {
  const std::string print_a_lot = "```lua\nprint(string.rep('z', 3000))\n```";
  LoopFixture f(
      json::array(
          {{{"match", {{"min_prompt_chars", 12'000}}},
            {"replay", "llama-server/llama-server-noshift-c512/20-long-prompt-nonstream"}},
           {{"match", {{"call", 1}}},
            {"text", "```lua\nfound = 'kept ' .. #context\nprint(string.rep('z', 3000))\n```"}},
           {{"match", {{"contains", "turn 6 of"}}}, {"text", "```lua\nFINAL(found)\n```"}},
           {{"text", print_a_lot}}}),
      std::nullopt, config::ProviderType::openai);
  f.settings.max_iterations = 10;
  const auto result = f.run_quietly();
  ASSERT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "kept 10000");
  int refused = 0;
  std::size_t largest_answered = 0;
  for (const auto& r : f.server.requests()) {
    if (r["path"] != "/v1/chat/completions") continue;
    std::size_t chars = 0;
    for (const auto& m : r["body"]["messages"]) chars += m["content"].get<std::string>().size();
    if (chars >= 12'000) {
      ++refused;
    } else {
      largest_answered = std::max(largest_answered, chars);
    }
  }
  EXPECT_GE(refused, 1);
  EXPECT_GT(largest_answered, 6'000U); // compacted, not emptied
}

} // namespace
} // namespace rlm::loop
