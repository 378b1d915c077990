// `rlm config show` output: valid TOML that loads back to the same values, origins named,
// keys never shown.
#include "config/config_test_support.hpp"
#include "rlm/config/render.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace rlm::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Environment env_with(std::string name, std::string value) {
  return [=](std::string_view n) -> std::optional<std::string> {
    return n == name ? std::optional(value) : std::nullopt;
  };
}

const std::string k_text = R"(max_iterations = 7
[[providers]]
provider_type = "deepseek"
model = "deepseek-flash"
role = "root"
price_input_per_mtok = 0.27
think = "high"
[[providers]]
provider_type = "ollama"
base_url = "http://gpu1:11434"
model = "qwen2.5-coder:14b"
role = "sub"
weight = 3
context_length = 32768
think = false
[bench]
methods = ["vanilla"]
)";

TEST(ConfigRender, OutputLoadsBackToTheSameConfiguration) {
  const auto original = testing::parse(k_text);
  ASSERT_TRUE(original.diagnostics.empty());
  const auto text = render_config(original.config, {"x.toml", "--config"}, env_with("", ""));
  const auto reloaded = testing::parse(text);
  ASSERT_TRUE(reloaded.diagnostics.empty()) << testing::all_formatted(reloaded) << text;
  const auto& a = original.config;
  const auto& b = reloaded.config;
  EXPECT_EQ(b.max_iterations, a.max_iterations);
  EXPECT_EQ(b.bench.methods, a.bench.methods);
  ASSERT_EQ(b.providers.size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b.providers[i].type, a.providers[i].type);
    EXPECT_EQ(b.providers[i].name, a.providers[i].name);
    EXPECT_EQ(b.providers[i].base_url, a.providers[i].base_url);
    EXPECT_EQ(b.providers[i].model, a.providers[i].model);
    EXPECT_EQ(b.providers[i].role, a.providers[i].role);
    EXPECT_EQ(b.providers[i].weight, a.providers[i].weight);
    EXPECT_EQ(b.providers[i].context_length, a.providers[i].context_length);
    EXPECT_EQ(b.providers[i].think, a.providers[i].think);
    EXPECT_EQ(b.providers[i].price_input_per_mtok, a.providers[i].price_input_per_mtok);
  }
}

TEST(ConfigRender, EachValueNamesItsOrigin) {
  const auto loaded = testing::parse(k_text);
  const auto text = render_config(loaded.config, {"test.toml", "--config"}, env_with("", ""));
  EXPECT_THAT(text, HasSubstr("# rlm configuration from test.toml (found by --config)"));
  EXPECT_THAT(text, ::testing::ContainsRegex("max_iterations = 7 +# test.toml:1\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("max_sub_calls = 50 +# default\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "base_url = \"https://api.deepseek.com\" +# default \\(for deepseek\\)\n"));
}

TEST(ConfigRender, ApiKeyIsReportedAsSetButNeverShown) {
  const auto loaded = testing::parse(k_text);
  const auto text =
      render_config(loaded.config, {}, env_with("DEEPSEEK_API_KEY", "sk-supersecretvalue123"));
  EXPECT_THAT(text, Not(HasSubstr("supersecret")));
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "# api key: set \\(redacted\\) +# environment: \\$DEEPSEEK_API_KEY"));
}

TEST(ConfigRender, MissingDeepSeekKeyIsFlagged) {
  const auto loaded = testing::parse(k_text);
  const auto text = render_config(loaded.config, {}, env_with("", ""));
  EXPECT_THAT(text, HasSubstr("# api key: MISSING"));
}

TEST(ConfigRender, BuiltInConfigSaysRootServesSubCallsOnlyWhenNoSubProvider) {
  auto config = built_in_config();
  EXPECT_THAT(render_config(config, {}, env_with("", "")), Not(HasSubstr("no \"sub\" provider")));
  config.providers.pop_back();
  EXPECT_THAT(render_config(config, {}, env_with("", "")), HasSubstr("no \"sub\" provider"));
}

TEST(ConfigDocs, EveryKeyIsDocumentedInConfigMd) {
  std::ifstream in(RLM_SOURCE_DIR "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md is missing";
  std::stringstream docs;
  docs << in.rdbuf();
  for (const auto& key : all_keys()) {
    const auto name = key.substr(key.rfind('.') + 1);
    EXPECT_THAT(docs.str(), HasSubstr("`" + name + "`")) << key << " is not documented";
  }
}

} // namespace
} // namespace rlm::config
