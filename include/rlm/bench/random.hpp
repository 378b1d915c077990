// A small deterministic random generator for the bench suites. The standard library's
// distributions differ between implementations, so a seed would not give the same
// document everywhere; splitmix64 and our own range reduction do.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace rlm::bench {

class Rng {
public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0. Rejection keeps it unbiased.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1), from the top 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  template <typename Items> const auto& pick(const Items& items) {
    return items[static_cast<std::size_t>(below(std::size(items)))];
  }

private:
  std::uint64_t m_state;
};

// A seed for one named stream, so each task's document depends only on its own
// parameters, never on which tasks ran before it. FNV-1a over `label`, mixed with `seed`.
inline std::uint64_t stream_seed(std::uint64_t seed, std::string_view label) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ seed;
  for (const char c : label) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return Rng(h).next();
}

} // namespace rlm::bench
