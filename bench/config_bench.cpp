// Cost of what every rlm command does before its real work: load and validate the config.
#include "rlm/config/load.hpp"
#include "rlm/config/render.hpp"
#include "rlm/util/suggest.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <fstream>
#include <sstream>

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_ParseGuideConfig(benchmark::State& state) {
  const auto text = read_file(RLM_SOURCE_DIR "/configs/guide-example.toml");
  for (auto _ : state) {
    auto result = rlm::config::parse_config(text, "guide-example.toml");
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseGuideConfig);

void BM_ParseConfigWithManyProviders(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < state.range(0); ++i) {
    text += "[[providers]]\nprovider_type = \"ollama\"\nbase_url = \"http://gpu" +
            std::to_string(i) + ":11434\"\nmodel = \"qwen2.5:7b\"\nrole = \"" +
            (i == 0 ? "root" : "sub") + "\"\nweight = 2\n";
  }
  for (auto _ : state) {
    auto result = rlm::config::parse_config(text, "many.toml");
    benchmark::DoNotOptimize(result);
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ParseConfigWithManyProviders)->Range(1, 256)->Complexity();

void BM_RenderConfig(benchmark::State& state) {
  const auto loaded =
      rlm::config::parse_config(read_file(RLM_SOURCE_DIR "/configs/guide-example.toml"), "g");
  const rlm::Environment env = [](std::string_view) { return std::optional<std::string>{}; };
  for (auto _ : state) {
    auto text = rlm::config::render_config(loaded.config, {}, env);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_RenderConfig);

void BM_ClosestMatchOverAllKeys(benchmark::State& state) {
  const auto keys = rlm::config::all_keys();
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  for (auto _ : state) {
    auto match = rlm::closest_match("price_ouput_per_mtok", views);
    benchmark::DoNotOptimize(match);
  }
}
BENCHMARK(BM_ClosestMatchOverAllKeys);

} // namespace
