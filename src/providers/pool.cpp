#include "rlm/providers/pool.hpp"

#include "rlm/providers/reasoning.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>

namespace rlm::providers {

namespace {

using Kind = ProviderError::Kind;

std::vector<config::ProviderConfig>
settings_of(const std::vector<std::unique_ptr<Provider>>& providers) {
  std::vector<config::ProviderConfig> out;
  for (const auto& p : providers) out.push_back(p->settings());
  return out;
}

// Failures that say the host is unwell, as opposed to busy (429, a full queue) or fine but
// unwilling (a bad request): only these move the circuit breaker.
bool host_failure(const ProviderError& error) {
  return error.kind == Kind::unreachable || error.kind == Kind::timeout ||
         error.kind == Kind::server || error.kind == Kind::protocol;
}

// Failures no retry fixes: the provider is out for the rest of the run.
bool permanent_failure(const ProviderError& error) {
  return error.kind == Kind::auth || error.kind == Kind::balance ||
         error.kind == Kind::model_not_found;
}

// A provider's chat, with any exception (a reply shaped in a way no parser expected) turned
// into a protocol error, so the slot it holds is always released.
std::expected<ChatResponse, ProviderError> call(Provider& provider, const ChatRequest& request) {
  try {
    return provider.chat(request);
  } catch (const std::exception& error) {
    return std::unexpected(ProviderError::transient(
        Kind::protocol, fmt::format("{} sent a reply rlm could not read: {}",
                                    provider.settings().name, error.what())));
  }
}

} // namespace

bool worth_another_provider(const ProviderError& error) {
  switch (error.kind) {
  case Kind::bad_request:
  case Kind::context_overflow:
  case Kind::cancelled: return false;
  default: return true;
  }
}

Pool::Pool(std::vector<std::unique_ptr<Provider>> providers, PoolOptions options)
    : m_options(std::move(options)), m_ledger(settings_of(providers)) {
  for (auto& p : providers) {
    m_members.push_back(Member{std::move(p), CircuitBreaker(m_options.breaker), 0, {}, 0, {}, {}});
  }
}

double Pool::now() const {
  if (m_options.now) return m_options.now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool Pool::sleep(double seconds, const std::atomic<bool>* cancel) const {
  if (m_options.sleep) return m_options.sleep(seconds);
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (cancel != nullptr && cancel->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cancel == nullptr || !cancel->load();
}

config::Role Pool::serving_role(config::Role role) const {
  if (role == config::Role::root) return role;
  for (const auto& m : m_members) {
    if (m.provider->settings().role == config::Role::sub) return config::Role::sub;
  }
  return config::Role::root;
}

std::optional<std::int64_t> Pool::prompt_room_chars(config::Role role) const {
  const auto serving = serving_role(role);
  std::optional<std::int64_t> smallest;
  for (const auto& m : m_members) {
    if (m.provider->settings().role != serving) continue;
    const auto room = m.provider->prompt_room_chars(); // may ask the server: not under the lock
    if (!room) return std::nullopt;
    smallest = std::min(smallest.value_or(*room), *room);
  }
  return smallest;
}

std::optional<std::int64_t> Pool::window_tokens(config::Role role) const {
  const auto serving = serving_role(role);
  std::optional<std::int64_t> smallest;
  for (const auto& m : m_members) {
    if (m.provider->settings().role != serving) continue;
    if (const auto window = m.provider->window_tokens())
      smallest = std::min(smallest.value_or(*window), *window);
  }
  return smallest;
}

void Pool::warm_up() const {
  std::vector<std::future<void>> probes;
  for (const auto& m : m_members) {
    probes.push_back(std::async(std::launch::async, [&m] { m.provider->window_tokens(); }));
  }
  for (auto& probe : probes) probe.wait(); // an exception is dropped: the later call repeats it
}

bool Pool::serves(config::Role role) const {
  const auto serving = serving_role(role);
  for (const auto& m : m_members) {
    if (m.provider->settings().role == serving) return true;
  }
  return false;
}

bool Pool::has_untried(config::Role role, const std::set<std::size_t>& tried) const {
  const std::lock_guard lock(m_mutex);
  const double t = now();
  for (std::size_t i = 0; i < m_members.size(); ++i) {
    const auto& m = m_members[i];
    if (m.provider->settings().role == role && !tried.contains(i) && m.breaker.may_recover(t))
      return true;
  }
  return false;
}

void Pool::resolve_limits(config::Role role) {
  for (auto& m : m_members) {
    if (m.provider->settings().role != role) continue;
    {
      const std::lock_guard lock(m_mutex);
      if (m.limit) continue;
    }
    const auto limit = std::max<std::int64_t>(1, m.provider->concurrency());
    const std::lock_guard lock(m_mutex);
    if (!m.limit) {
      m.limit = limit;
      spdlog::debug("{} takes {} request(s) at once", m.provider->settings().name, limit);
    }
  }
}

std::expected<Pool::Slot, ProviderError> Pool::acquire(config::Role role,
                                                       const std::set<std::size_t>& tried,
                                                       const std::atomic<bool>* cancel) {
  resolve_limits(role);
  std::unique_lock lock(m_mutex);
  for (;;) {
    if (cancel != nullptr && cancel->load())
      return std::unexpected(ProviderError{Kind::cancelled, "cancelled"});
    const double t = now();
    std::vector<std::size_t> live, ready;
    for (std::size_t i = 0; i < m_members.size(); ++i) {
      const auto& m = m_members[i];
      if (m.provider->settings().role == role && m.breaker.may_recover(t)) live.push_back(i);
    }
    if (live.empty()) break;
    // Prefer providers this call has not tried yet; fall back to all once each has failed.
    bool any_untried = false;
    for (auto i : live) any_untried = any_untried || !tried.contains(i);
    for (auto i : live) {
      const auto& m = m_members[i];
      if (any_untried && tried.contains(i)) continue;
      if (m.in_flight < m.limit.value_or(1) && m.breaker.allows(t)) ready.push_back(i);
    }
    if (!ready.empty()) {
      // Smooth weighted round robin: every ready provider gains its weight, the richest is
      // chosen and pays the total. Over time each gets calls in proportion to its weight.
      double total = 0;
      std::size_t best = ready.front();
      for (auto i : ready) {
        auto& m = m_members[i];
        m.current_weight += m.provider->settings().weight;
        total += m.provider->settings().weight;
        if (m.current_weight > m_members[best].current_weight) best = i;
      }
      m_members[best].current_weight -= total;
      ++m_members[best].in_flight;
      return Slot{best, m_members[best].breaker.on_send(t)};
    }
    m_slot_freed.wait_for(lock, std::chrono::milliseconds(50));
  }
  // Every provider of the role is open or disabled: say why, for the first of them.
  const Member* first = nullptr;
  int count = 0;
  for (const auto& m : m_members) {
    if (m.provider->settings().role != role) continue;
    ++count;
    if (first == nullptr) first = &m;
  }
  if (first == nullptr) {
    return std::unexpected(ProviderError{
        Kind::unreachable,
        fmt::format("no provider has the {} role; add a [[providers]] table with role = \"{}\"",
                    config::to_string(role), config::to_string(role))});
  }
  const auto& b = first->breaker;
  const bool disabled = b.state(now()) == CircuitBreaker::State::disabled;
  const std::string why =
      disabled ? fmt::format("{} is out for this run: {}", first->provider->settings().name,
                             b.disabled_reason())
               : fmt::format("{} is left alone for {:.0f} s after failing repeatedly: {}",
                             first->provider->settings().name, b.open_until() - now(),
                             first->last_error);
  // A provider taken out by a missing model or a bad key keeps that kind, so callers can
  // tell "fix the config" from "the host is down".
  const auto kind = disabled && first->disabled_kind ? *first->disabled_kind : Kind::unreachable;
  return std::unexpected(ProviderError{kind, count > 1
                                                 ? fmt::format("all {} {} providers are down; {}",
                                                               count, config::to_string(role), why)
                                                 : why});
}

void Pool::release(Slot slot, const std::expected<ChatResponse, ProviderError>& outcome) {
  {
    const std::lock_guard lock(m_mutex);
    auto& m = m_members[slot.index];
    --m.in_flight;
    if (outcome) {
      m.breaker.on_success();
    } else if (outcome.error().kind == Kind::cancelled) {
      m.breaker.on_abandon(slot.trial); // says nothing about the host
    } else if (permanent_failure(outcome.error())) {
      m.breaker.disable(outcome.error().message);
      m.disabled_kind = outcome.error().kind;
    } else if (host_failure(outcome.error())) {
      m.breaker.on_failure(now(), slot.trial);
      m.last_error = outcome.error().message;
    } else {
      m.breaker.on_success(); // the host answered: it is up, merely busy or unwilling
    }
  }
  m_slot_freed.notify_all();
}

std::expected<PoolAnswer, ProviderError> Pool::chat(config::Role role, const ChatRequest& request) {
  const auto serving = serving_role(role);
  std::set<std::size_t> tried;
  int retries = 0;
  int attempts = 0;
  for (;;) {
    auto slot = acquire(serving, tried, request.cancel);
    if (!slot) return std::unexpected(slot.error());
    const auto index = slot->index;
    ++attempts;
    auto outcome = call(*m_members[index].provider, request);
    release(*slot, outcome);
    const auto& name = m_members[index].provider->settings().name;
    if (outcome) {
      separate_reasoning(*outcome); // whatever the provider: the answer goes on without it
      auto cost = cost_of(outcome->usage, m_members[index].provider->settings());
      if (outcome->cached) { // no request was sent: nothing to account, nothing spent
        if (cost) cost = 0.0;
        m_ledger.record_cache_hit(index, role);
        return PoolAnswer{std::move(*outcome), name, attempts - 1, cost};
      }
      m_ledger.record_answer(index, role, *outcome);
      return PoolAnswer{std::move(*outcome), name, attempts, cost};
    }
    m_ledger.record_failure(index, role);
    auto& error = outcome.error();
    if (!worth_another_provider(error)) return std::unexpected(std::move(error));
    tried.insert(index);
    if (has_untried(serving, tried)) {
      spdlog::warn("{}: {}; trying another {} provider", name, error.message,
                   config::to_string(serving));
      continue;
    }
    if (!error.retryable || retries >= m_options.retry.max_retries) {
      if (attempts > 1) error.message += fmt::format(" (gave up after {} tries)", attempts);
      return std::unexpected(std::move(error));
    }
    const double jitter = m_options.jitter ? m_options.jitter() : [] {
      thread_local std::mt19937 engine{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    }();
    const double wait =
        backoff_seconds(retries, error.retry_after_seconds, m_options.retry, jitter);
    ++retries;
    spdlog::info("{}: {}; retrying in {:.1f} s ({} of {})", name, error.message, wait, retries,
                 m_options.retry.max_retries);
    if (!sleep(wait, request.cancel))
      return std::unexpected(ProviderError{Kind::cancelled, "cancelled"});
    tried.clear();
  }
}

} // namespace rlm::providers
