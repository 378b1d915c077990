// The pool's choices, tested with scripted in-memory providers (deterministic); the same
// through the real transport is in tests/integration/providers/pool_test.cpp.
#include "rlm/providers/pool.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <deque>
#include <thread>

namespace rlm::providers {
namespace {

using Kind = ProviderError::Kind;

// A provider that answers from a queue of outcomes (then "ok"), counting calls and the most
// it had in flight at once.
class ScriptedProvider final : public Provider {
public:
  ScriptedProvider(std::string name, config::Role role, double weight = 1,
                   std::int64_t max_concurrency = 4) {
    m_settings.name = std::move(name);
    m_settings.role = role;
    m_settings.weight = weight;
    m_settings.max_concurrency = max_concurrency;
    m_settings.price_input_per_mtok = 0.28;
    m_settings.price_cached_input_per_mtok = 0.028;
    m_settings.price_output_per_mtok = 0.42;
  }

  std::expected<ChatResponse, ProviderError> chat(const ChatRequest&) override {
    const int now = ++in_flight;
    int seen = max_seen.load();
    while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::optional<ProviderError> failure;
    {
      const std::lock_guard lock(mutex);
      ++calls;
      if (std::exchange(throw_next, false)) {
        --in_flight;
        throw nlohmann::json::type_error::create(302, "type must be string, but is null", nullptr);
      }
      if (!outcomes.empty()) {
        failure = outcomes.front();
        outcomes.pop_front();
      }
    }
    --in_flight;
    if (failure) return std::unexpected(*failure);
    ChatResponse r;
    r.text = m_settings.name;
    r.usage = {1000, 400, 100};
    r.seconds = 0.5;
    return r;
  }
  const config::ProviderConfig& settings() const override { return m_settings; }
  std::int64_t concurrency() override {
    ++concurrency_asked;
    return served_concurrency ? *served_concurrency : Provider::concurrency();
  }

  std::optional<std::int64_t> served_concurrency; // what its server says, when it says
  std::atomic<int> concurrency_asked{0};
  std::mutex mutex;
  std::deque<ProviderError> outcomes;
  int calls = 0;
  bool throw_next = false; // the next call throws, as a parser meeting an odd reply would
  std::atomic<int> in_flight{0};
  std::atomic<int> max_seen{0};
  std::chrono::milliseconds delay{0};
  config::ProviderConfig m_settings;
};

ProviderError down() { return ProviderError::transient(Kind::unreachable, "nothing answers"); }

// A pool over scripted providers with a fake clock and recorded waits.
struct Fixture {
  ScriptedProvider* add(std::string name, config::Role role = config::Role::root, double weight = 1,
                        std::int64_t max_concurrency = 4) {
    auto p = std::make_unique<ScriptedProvider>(std::move(name), role, weight, max_concurrency);
    auto* raw = p.get();
    providers.push_back(std::move(p));
    return raw;
  }
  Pool& pool() {
    if (!m_pool) {
      PoolOptions options;
      options.sleep = [this](double s) {
        waits.push_back(s);
        clock += s;
        return true;
      };
      options.jitter = [] { return 0.0; };
      options.now = [this] { return clock.load(); };
      m_pool = std::make_unique<Pool>(std::move(providers), options);
    }
    return *m_pool;
  }
  std::expected<PoolAnswer, ProviderError> chat(config::Role role = config::Role::root) {
    ChatRequest request;
    request.messages = {{"user", "q"}};
    return pool().chat(role, request);
  }

  std::vector<std::unique_ptr<Provider>> providers;
  std::unique_ptr<Pool> m_pool;
  std::vector<double> waits;
  std::atomic<double> clock{1000};
};

TEST(Pool, SpreadsCallsInProportionToWeight) {
  Fixture f;
  auto* big = f.add("big", config::Role::root, 3);
  auto* small = f.add("small", config::Role::root, 1);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(f.chat());
  EXPECT_EQ(big->calls, 30);
  EXPECT_EQ(small->calls, 10);
}

TEST(Pool, SubCallsGoToSubProvidersAndRootCallsToRoot) {
  Fixture f;
  auto* root = f.add("root", config::Role::root);
  auto* sub = f.add("sub", config::Role::sub);
  EXPECT_EQ(f.chat(config::Role::sub)->provider, "sub");
  EXPECT_EQ(f.chat(config::Role::root)->provider, "root");
  EXPECT_EQ(root->calls, 1);
  EXPECT_EQ(sub->calls, 1);
}

TEST(Pool, RootServesSubCallsWhenNoSubProviderIsConfigured) {
  Fixture f;
  f.add("only-root");
  EXPECT_EQ(f.pool().serving_role(config::Role::sub), config::Role::root);
  const auto answer = f.chat(config::Role::sub);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->provider, "only-root");
  // Accounted as a sub-call, served by the root provider.
  const auto usage = f.pool().usage();
  EXPECT_EQ(usage.sub.calls, 1);
  EXPECT_EQ(usage.root.calls, 0);
  EXPECT_EQ(usage.providers[0].tally.calls, 1);
}

TEST(Pool, NoRootProviderIsAClearError) {
  Fixture f;
  f.add("sub-only", config::Role::sub);
  EXPECT_FALSE(f.pool().serves(config::Role::root));
  const auto answer = f.chat(config::Role::root);
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("no provider has the root role"), std::string::npos)
      << answer.error().message;
}

TEST(Pool, FailsOverToAnotherProviderOfTheSameRoleWithoutWaiting) {
  Fixture f;
  auto* a = f.add("a");
  auto* b = f.add("b");
  a->outcomes.push_back(down());
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->provider, "b");
  EXPECT_EQ(b->calls, 1);
  EXPECT_EQ(answer->attempts, 2);
  EXPECT_TRUE(f.waits.empty());
  EXPECT_EQ(f.pool().usage().providers[0].tally.failures, 1);
}

TEST(Pool, NeverFailsOverToAProviderOfAnotherRole) {
  Fixture f;
  auto* root = f.add("root");
  auto* sub = f.add("sub", config::Role::sub);
  sub->outcomes = {down(), down(), down()};
  EXPECT_FALSE(f.chat(config::Role::sub));
  EXPECT_EQ(root->calls, 0);
  EXPECT_EQ(sub->calls, 3); // the first try and two retries
}

TEST(Pool, RequestErrorsAreNeitherRetriedNorFailedOver) {
  for (const auto kind : {Kind::bad_request, Kind::context_overflow, Kind::cancelled}) {
    Fixture f;
    auto* a = f.add("a");
    auto* b = f.add("b");
    a->outcomes.push_back({kind, "no"});
    EXPECT_FALSE(f.chat()) << to_string(kind);
    EXPECT_EQ(a->calls + b->calls, 1) << to_string(kind);
  }
}

TEST(Pool, AStreamThatBrokeOffFailsOverLikeAnyDroppedConnection) {
  // rlm hands nothing on until a reply is complete, so the partial text is simply dropped.
  Fixture f;
  auto* a = f.add("a");
  auto* b = f.add("b");
  a->outcomes.push_back(ProviderError::transient(Kind::protocol, "broke off"));
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(a->calls, 1);
  EXPECT_EQ(b->calls, 1);
}

TEST(Pool, RetriesWithBackoffOnceEveryProviderHasFailed) {
  Fixture f;
  auto* a = f.add("a");
  auto* b = f.add("b");
  a->outcomes = {down(), down()};
  b->outcomes = {down(), down()};
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->attempts, 5);
  EXPECT_EQ(f.waits, (std::vector<double>{0.5, 1.0}));
}

TEST(Pool, CircuitOpensAfterThreeFailuresAndCallsFailFastUntilTheCooldownEnds) {
  Fixture f;
  auto* a = f.add("dead");
  a->outcomes = {down(), down(), down()};
  EXPECT_FALSE(f.chat()); // three attempts: the circuit opens on the third
  EXPECT_EQ(a->calls, 3);
  const auto fast = f.chat(); // open: no request at all
  ASSERT_FALSE(fast);
  EXPECT_EQ(a->calls, 3);
  EXPECT_NE(fast.error().message.find("left alone for"), std::string::npos) << fast.error().message;
  EXPECT_NE(fast.error().message.find("nothing answers"), std::string::npos);
  f.clock = f.clock + 11; // past the 10 s cooldown: one trial goes out, and succeeds
  ASSERT_TRUE(f.chat());
  EXPECT_EQ(a->calls, 4);
  ASSERT_TRUE(f.chat());
}

TEST(Pool, AFailedTrialReopensTheCircuitForTwiceAsLong) {
  CircuitBreaker breaker;
  for (int i = 0; i < 3; ++i) breaker.on_failure(0, false);
  EXPECT_EQ(breaker.state(5), CircuitBreaker::State::open);
  EXPECT_TRUE(breaker.allows(10));
  EXPECT_TRUE(breaker.on_send(10));
  EXPECT_FALSE(breaker.allows(10)); // one trial at a time
  EXPECT_TRUE(breaker.may_recover(10));
  breaker.on_failure(10, true);
  EXPECT_EQ(breaker.state(29), CircuitBreaker::State::open);
  EXPECT_EQ(breaker.state(30), CircuitBreaker::State::half_open);
  breaker.on_success();
  EXPECT_EQ(breaker.state(30), CircuitBreaker::State::closed);
}

TEST(Pool, AStragglersFailureNeitherEndsTheTrialNorDoublesTheCooldown) {
  CircuitBreaker breaker;
  for (int i = 0; i < 3; ++i) breaker.on_failure(0, false);
  EXPECT_TRUE(breaker.on_send(10));
  breaker.on_failure(10, false);    // a request sent before the circuit opened
  EXPECT_FALSE(breaker.allows(10)); // the trial is still out
  EXPECT_EQ(breaker.state(10), CircuitBreaker::State::half_open);
  breaker.on_success();
  EXPECT_EQ(breaker.state(10), CircuitBreaker::State::closed);
}

TEST(Pool, ACancelledTrialFreesTheTrialWithoutClosingTheCircuit) {
  CircuitBreaker breaker;
  for (int i = 0; i < 3; ++i) breaker.on_failure(0, false);
  EXPECT_TRUE(breaker.on_send(10));
  breaker.on_abandon(true);
  EXPECT_EQ(breaker.state(10), CircuitBreaker::State::half_open);
  EXPECT_TRUE(breaker.allows(10)); // another trial may go
}

TEST(Pool, AProviderThatThrowsIsAProtocolErrorAndItsSlotIsFreed) {
  Fixture f;
  auto* a = f.add("a", config::Role::root, 1, 1);
  a->throw_next = true;
  const auto first = f.chat();
  ASSERT_TRUE(first) << first.error().message; // retried on the same provider, which answers
  EXPECT_EQ(a->calls, 2);
  EXPECT_EQ(f.pool().usage().providers[0].tally.failures, 1);
  ASSERT_TRUE(f.chat()); // the one slot is free again
}

TEST(Pool, BusyOrRateLimitedHostsDoNotTripTheBreaker) {
  Fixture f;
  auto* a = f.add("busy");
  for (int i = 0; i < 6; ++i)
    a->outcomes.push_back(ProviderError::transient(Kind::rate_limited, "slow down", 1.0));
  EXPECT_FALSE(f.chat());
  EXPECT_FALSE(f.chat());
  EXPECT_EQ(a->calls, 6); // every call still reached the host
}

TEST(Pool, ABadKeyTakesTheProviderOutForTheRunAndTrafficMovesOn) {
  Fixture f;
  auto* bad = f.add("bad-key");
  auto* good = f.add("good");
  bad->outcomes.push_back({Kind::auth, "key rejected; check DEEPSEEK_API_KEY"});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.chat());
  EXPECT_EQ(bad->calls, 1);
  EXPECT_EQ(good->calls, 5);
}

TEST(Pool, WhenAllAreOutTheErrorSaysSo) {
  Fixture f;
  f.add("a")->outcomes.push_back({Kind::model_not_found, "no model 'x'; ollama pull x"});
  f.add("b")->outcomes.push_back({Kind::model_not_found, "no model 'x'; ollama pull x"});
  EXPECT_FALSE(f.chat());
  const auto again = f.chat();
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("all 2 root providers are down"), std::string::npos)
      << again.error().message;
  EXPECT_NE(again.error().message.find("ollama pull x"), std::string::npos);
}

TEST(Pool, HonoursEachProvidersConcurrencyLimit) {
  Fixture f;
  auto* a = f.add("a", config::Role::root, 1, 2);
  auto* b = f.add("b", config::Role::root, 1, 3);
  a->delay = b->delay = std::chrono::milliseconds(30);
  (void)f.pool(); // built once, before the threads share it
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) threads.emplace_back([&] { ok += f.chat() ? 1 : 0; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 20);
  EXPECT_LE(a->max_seen, 2);
  EXPECT_LE(b->max_seen, 3);
  EXPECT_EQ(a->calls + b->calls, 20);
}

TEST(Pool, AnUnsetLimitIsWhatTheServerSaysAskedOnce) {
  Fixture f;
  auto* a = f.add("a", config::Role::root);
  a->m_settings.max_concurrency.reset();
  a->served_concurrency = 2; // llama-server -np 2
  a->delay = std::chrono::milliseconds(30);
  (void)f.pool();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 12; ++i) threads.emplace_back([&] { ok += f.chat() ? 1 : 0; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 12);
  EXPECT_EQ(a->max_seen, 2); // held to it, and it was used
  EXPECT_GE(a->concurrency_asked, 1);
  EXPECT_LE(a->concurrency_asked, 12); // racing first calls may each ask; later ones do not
  const int asked = a->concurrency_asked;
  (void)f.chat();
  EXPECT_EQ(a->concurrency_asked, asked);
}

TEST(Pool, ACancelledCallWaitingForASlotStops) {
  Fixture f;
  auto* a = f.add("a", config::Role::root, 1, 1);
  a->delay = std::chrono::milliseconds(300);
  std::thread busy([&] { (void)f.chat(); });
  while (a->in_flight == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::atomic<bool> cancel{true};
  ChatRequest request;
  request.cancel = &cancel;
  const auto answer = f.pool().chat(config::Role::root, request);
  busy.join();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::cancelled);
  EXPECT_EQ(a->calls, 1);
}

TEST(Ledger, CountsTokensAndCostPerProviderAndPerRole) {
  Fixture f;
  f.add("root");
  f.add("sub", config::Role::sub);
  ASSERT_TRUE(f.chat(config::Role::root));
  ASSERT_TRUE(f.chat(config::Role::sub));
  ASSERT_TRUE(f.chat(config::Role::sub));
  const auto usage = f.pool().usage();
  EXPECT_EQ(usage.root.calls, 1);
  EXPECT_EQ(usage.sub.calls, 2);
  EXPECT_EQ(usage.sub.prompt_tokens, 2000);
  EXPECT_EQ(usage.sub.cached_tokens, 800);
  EXPECT_EQ(usage.sub.completion_tokens, 200);
  EXPECT_EQ(usage.total.calls, 3);
  // 600 fresh input at 0.28, 400 cached at 0.028 and 100 output at 0.42, per million.
  const double one = (600 * 0.28 + 400 * 0.028 + 100 * 0.42) / 1e6;
  ASSERT_TRUE(usage.total.cost());
  EXPECT_NEAR(*usage.total.cost(), 3 * one, 1e-12);
  EXPECT_FALSE(usage.total.cost_partial());
  EXPECT_EQ(usage.providers[1].name, "sub");
  EXPECT_EQ(usage.providers[1].tally.calls, 2);
}

TEST(Ledger, CostIsUnknownWithoutPricesAndPartialWhenOnlySomeHaveThem) {
  config::ProviderConfig priced;
  priced.price_input_per_mtok = 1;
  priced.price_output_per_mtok = 2;
  config::ProviderConfig free;
  EXPECT_FALSE(cost_of({10, 0, 10}, free));
  EXPECT_NEAR(*cost_of({1'000'000, 0, 1'000'000}, priced), 3.0, 1e-9);
  // Without a cached price, cached tokens cost the input price.
  EXPECT_NEAR(*cost_of({1'000'000, 500'000, 0}, priced), 1.0, 1e-9);
  Ledger ledger({priced, free});
  ChatResponse r;
  r.usage = {1'000'000, 0, 0};
  ledger.record_answer(0, config::Role::root, r);
  ledger.record_answer(1, config::Role::root, r);
  const auto report = ledger.report();
  EXPECT_NEAR(*report.root.cost(), 1.0, 1e-9);
  EXPECT_TRUE(report.root.cost_partial());
  EXPECT_FALSE(report.providers[1].tally.cost());
}

} // namespace
} // namespace rlm::providers
