// libFuzzer's entry point for one target, chosen at build time (RLM_FUZZ_TARGET).
#include "harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto target = rlm::fuzz::target_named(RLM_FUZZ_TARGET);
  (void)target({reinterpret_cast<const char*>(data), size});
  return 0;
}
