// The cache in front of a provider, and through the pool: what makes a key, which calls are
// looked up and stored, and how a hit reaches the caller (marked, free, no request sent).
#include "rlm/providers/caching_provider.hpp"
#include "rlm/providers/pool.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

// A cache file in a fresh folder, removed with it.
struct CacheFile : rlm::testing::TempDir {
  std::string path = file("calls.sqlite");
};

// Answers with a fixed response, counting the calls that reach it.
class CountingProvider final : public Provider {
public:
  explicit CountingProvider(ChatResponse reply) : m_reply(std::move(reply)) {
    m_settings.name = "counting";
    m_settings.model = "m";
    m_settings.base_url = "http://127.0.0.1:1";
    m_settings.api_key_env = "SECRET_KEY_VAR";
    m_settings.price_input_per_mtok = 1.0;
    m_settings.price_output_per_mtok = 2.0;
  }
  std::expected<ChatResponse, ProviderError> chat(const ChatRequest&) override {
    ++*calls;
    return m_reply;
  }
  const config::ProviderConfig& settings() const override { return m_settings; }
  std::optional<std::string> model_digest() override { return *digest; }
  config::ProviderConfig m_settings;
  std::shared_ptr<std::optional<std::string>> digest =
      std::make_shared<std::optional<std::string>>();
  std::shared_ptr<int> calls = std::make_shared<int>(0);

private:
  ChatResponse m_reply;
};

ChatResponse reply(std::string text, std::string finish = "stop") {
  ChatResponse r;
  r.text = std::move(text);
  r.finish_reason = std::move(finish);
  r.usage.prompt_tokens = 1000;
  r.usage.completion_tokens = 100;
  return r;
}

ChatRequest question(std::string text) {
  ChatRequest request;
  request.messages = {{"user", std::move(text)}};
  return request;
}

std::shared_ptr<CallCache> open(const CacheFile& file) {
  auto cache = CallCache::open(file.path);
  EXPECT_TRUE(cache);
  return cache ? std::shared_ptr<CallCache>(std::move(*cache)) : nullptr;
}

TEST(CallCacheKey, EverythingThatChangesTheAnswerChangesTheKey) {
  config::ProviderConfig p;
  p.model = "m";
  const auto base = call_cache_key(p, question("q"));
  ASSERT_TRUE(base);
  EXPECT_EQ(call_cache_key(p, question("q")), base);
  EXPECT_NE(call_cache_key(p, question("q2")), base);
  auto other = p;
  other.model = "m2";
  EXPECT_NE(call_cache_key(other, question("q")), base);
  other = p;
  other.base_url = "http://elsewhere";
  EXPECT_NE(call_cache_key(other, question("q")), base);
  other = p;
  other.think = config::Think::high;
  EXPECT_NE(call_cache_key(other, question("q")), base);
  auto limited = question("q");
  limited.max_tokens = 10;
  EXPECT_NE(call_cache_key(p, limited), base);
  other = p;
  other.api_key_env = "ANOTHER_VAR"; // where the key comes from does not change the answer
  other.name = "renamed";
  EXPECT_EQ(call_cache_key(other, question("q")), base);
  EXPECT_EQ(base->find("ANOTHER_VAR"), std::string::npos);
}

TEST(CallCacheKey, ATemperatureAboveZeroIsNotCached) {
  config::ProviderConfig p;
  p.temperature = 0.7;
  EXPECT_FALSE(call_cache_key(p, question("q")));
  auto request = question("q");
  request.temperature = 0.0;
  EXPECT_TRUE(call_cache_key(p, request));
}

TEST(CachingProvider, ASecondCallIsAnsweredWithoutTheProvider) {
  const CacheFile file;
  auto inner = std::make_unique<CountingProvider>(reply("answer"));
  const auto calls = inner->calls;
  CachingProvider provider(std::move(inner), open(file));
  const auto first = provider.chat(question("q"));
  const auto second = provider.chat(question("q"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*calls, 1);
  EXPECT_FALSE(first->cached);
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->text, "answer");
  EXPECT_EQ(second->usage.prompt_tokens, 1000);
}

TEST(CachingProvider, AModelReplacedUnderTheSameNameIsAskedAgain) {
  const CacheFile file;
  auto inner = std::make_unique<CountingProvider>(reply("answer"));
  const auto calls = inner->calls;
  const auto digest = inner->digest;
  *digest = "sha256:aaa";
  CachingProvider provider(std::move(inner), open(file));
  (void)provider.chat(question("q"));
  (void)provider.chat(question("q"));
  EXPECT_EQ(*calls, 1);
  *digest = "sha256:bbb"; // `ollama pull` brought new weights
  const auto after = provider.chat(question("q"));
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->cached);
  EXPECT_EQ(*calls, 2);
}

TEST(CachingProvider, ACutAnswerIsNeverStored) {
  const CacheFile file;
  auto inner = std::make_unique<CountingProvider>(reply("half", "length"));
  const auto calls = inner->calls;
  CachingProvider provider(std::move(inner), open(file));
  (void)provider.chat(question("q"));
  (void)provider.chat(question("q"));
  EXPECT_EQ(*calls, 2);
}

TEST(CachingProvider, AHotCallGoesToTheProviderEveryTime) {
  const CacheFile file;
  auto inner = std::make_unique<CountingProvider>(reply("answer"));
  inner->m_settings.temperature = 1.0;
  const auto calls = inner->calls;
  CachingProvider provider(std::move(inner), open(file));
  (void)provider.chat(question("q"));
  (void)provider.chat(question("q"));
  EXPECT_EQ(*calls, 2);
  EXPECT_EQ(open(file)->stats()->entries, 0);
}

TEST(CachingProvider, APoolHitIsFreeSendsNothingAndIsCountedApart) {
  const CacheFile file;
  auto inner = std::make_unique<CountingProvider>(reply("answer"));
  const auto calls = inner->calls;
  std::vector<std::unique_ptr<Provider>> providers;
  providers.push_back(std::make_unique<CachingProvider>(std::move(inner), open(file)));
  Pool pool(std::move(providers));
  const auto first = pool.chat(config::Role::root, question("q"));
  const auto hit = pool.chat(config::Role::root, question("q"));
  ASSERT_TRUE(first && hit);
  EXPECT_EQ(*calls, 1);
  EXPECT_GT(first->cost.value_or(0), 0);
  EXPECT_EQ(first->attempts, 1);
  EXPECT_EQ(hit->cost, 0.0);
  EXPECT_EQ(hit->attempts, 0);
  EXPECT_TRUE(hit->response.cached);
  const auto usage = pool.usage();
  EXPECT_EQ(usage.root.calls, 1);
  EXPECT_EQ(usage.root.cache_hits, 1);
  EXPECT_EQ(usage.root.prompt_tokens, 1000);
}

} // namespace
} // namespace rlm::providers
