// The configuration loader: valid files load to the right values; each kind of mistake gives
// one diagnostic naming the line, the key, what is allowed and the fix.
#include "config/config_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace rlm::config {
namespace {

using ::testing::HasSubstr;
using testing::k_root_provider;
using testing::only_diagnostic;
using testing::parse;

constexpr auto k_error = Diagnostic::Severity::error;
constexpr auto k_warning = Diagnostic::Severity::warning;

const std::string k_guide_config = R"(max_iterations = 20
max_sub_calls = 50
bypass_enabled = true
bypass_threshold = 4000   # chars (~1000 tokens)

[[providers]]
provider_type = "deepseek"
base_url = "https://api.deepseek.com"
model = "deepseek-chat"
role = "root"
weight = 1

[[providers]]
provider_type = "ollama"
base_url = "http://localhost:11434"
model = "qwen2.5-coder:14b"
role = "sub"
weight = 1
)";

TEST(ConfigLoad, GuideConfigLoadsUnchanged) {
  const auto result = parse(k_guide_config);
  ASSERT_TRUE(result.diagnostics.empty()) << testing::all_formatted(result);
  const auto& c = result.config;
  EXPECT_EQ(c.max_iterations, 20);
  EXPECT_EQ(c.max_sub_calls, 50);
  EXPECT_TRUE(c.bypass_enabled);
  EXPECT_EQ(c.bypass_threshold, 4000);
  ASSERT_EQ(c.providers.size(), 2U);
  EXPECT_EQ(c.providers[0].type, ProviderType::deepseek);
  EXPECT_EQ(c.providers[0].model, "deepseek-chat");
  EXPECT_EQ(c.providers[0].role, Role::root);
  EXPECT_EQ(c.providers[0].api_key_env, "DEEPSEEK_API_KEY");
  EXPECT_EQ(c.providers[0].line, 6);
  EXPECT_EQ(c.providers[1].type, ProviderType::ollama);
  EXPECT_EQ(c.providers[1].base_url, "http://localhost:11434");
  EXPECT_EQ(c.providers[1].role, Role::sub);
  EXPECT_DOUBLE_EQ(c.providers[1].weight, 1.0);
  EXPECT_EQ(c.origins.at("max_iterations").where, "test.toml:1");
  EXPECT_EQ(c.origins.at("providers[1].model").where, "test.toml:16");
}

TEST(ConfigLoad, EmptyFileKeepsBuiltInProvidersAndDefaults) {
  const auto result = parse("");
  ASSERT_TRUE(result.diagnostics.empty());
  EXPECT_EQ(result.config.max_iterations, 20);
  ASSERT_EQ(result.config.providers.size(), 2U);
  EXPECT_EQ(result.config.providers[0].model, k_default_ollama_model);
}

TEST(ConfigLoad, SectionsAndProviderOptionsAreRead) {
  const auto result = parse(k_root_provider + R"(
max_tokens = 512
temperature = 0.7
context_length = 32768
price_input_per_mtok = 0.27
max_concurrency = 2
[sandbox]
cell_timeout_seconds = 5
memory_limit_mb = 512
[http]
max_retries = 0
[bench]
lengths = "4k,32k"
positions = [0.5]
methods = ["rlm"]
)");
  ASSERT_TRUE(result.diagnostics.empty()) << testing::all_formatted(result);
  const auto& c = result.config;
  EXPECT_EQ(c.providers[0].max_tokens, 512);
  EXPECT_DOUBLE_EQ(c.providers[0].temperature, 0.7);
  EXPECT_EQ(c.providers[0].context_length, 32768);
  EXPECT_EQ(c.providers[0].price_input_per_mtok, 0.27);
  EXPECT_EQ(c.providers[0].max_concurrency, 2);
  EXPECT_DOUBLE_EQ(c.sandbox.cell_timeout_seconds, 5.0);
  EXPECT_EQ(c.sandbox.memory_limit_mb, 512);
  EXPECT_EQ(c.http.max_retries, 0);
  EXPECT_EQ(c.bench.lengths, "4k,32k");
  EXPECT_EQ(c.bench.positions, std::vector<double>{0.5});
  EXPECT_EQ(c.bench.methods, std::vector{BenchMethod::rlm});
}

TEST(ConfigLoad, TypeDefaultsFillBaseUrlKeyVariableAndName) {
  const auto result = parse(
      "[[providers]]\nprovider_type = \"deepseek\"\nmodel = \"deepseek-flash\"\nrole = \"root\"\n");
  ASSERT_TRUE(result.diagnostics.empty());
  const auto& p = result.config.providers[0];
  EXPECT_EQ(p.base_url, "https://api.deepseek.com");
  EXPECT_EQ(p.api_key_env, "DEEPSEEK_API_KEY");
  EXPECT_EQ(p.name, "deepseek:deepseek-flash");
  EXPECT_EQ(p.max_concurrency, 16);
}

TEST(ConfigLoad, ConcurrencyDefaultsByTypeAndAnOpenaiServerIsAsked) {
  const auto result =
      parse("[[providers]]\nprovider_type = \"ollama\"\nmodel = \"m\"\nrole = \"root\"\n"
            "[[providers]]\nprovider_type = \"openai\"\nmodel = \"m\"\nrole = \"sub\"\n"
            "base_url = \"http://localhost:8080/v1\"\n");
  ASSERT_TRUE(result.diagnostics.empty()) << testing::all_formatted(result);
  EXPECT_EQ(result.config.providers[0].max_concurrency, 4);
  EXPECT_FALSE(result.config.providers[1].max_concurrency); // Provider::concurrency asks
  EXPECT_THAT(result.config.origins.at("providers[1].max_concurrency").where,
              ::testing::HasSubstr("total_slots"));
  EXPECT_EQ(parse("").config.providers[0].max_concurrency, 4); // the built-in Ollama pair
}

TEST(ConfigLoad, TrailingSlashOfBaseUrlIsDropped) {
  const auto result = parse(k_root_provider + "base_url = \"http://gpu1:11434/\"\n");
  ASSERT_TRUE(result.diagnostics.empty());
  EXPECT_EQ(result.config.providers[0].base_url, "http://gpu1:11434");
}

TEST(ConfigLoad, RepeatedDefaultNamesAreNumbered) {
  const auto result = parse(k_root_provider + k_root_provider + k_root_provider);
  ASSERT_TRUE(result.diagnostics.empty());
  EXPECT_EQ(result.config.providers[0].name, "ollama:m");
  EXPECT_EQ(result.config.providers[1].name, "ollama:m#2");
  EXPECT_EQ(result.config.providers[2].name, "ollama:m#3");
}

TEST(ConfigErrors, InvalidTomlSyntax) {
  const auto d = only_diagnostic(parse("max_iterations = 20\nmax_sub_calls =\n"));
  EXPECT_EQ(d.severity, k_error);
  EXPECT_EQ(d.line, 2);
  EXPECT_THAT(d.message, HasSubstr("invalid TOML"));
}

TEST(ConfigErrors, DuplicateKey) {
  const auto d = only_diagnostic(parse("max_iterations = 1\nmax_iterations = 2\n"));
  EXPECT_EQ(d.line, 2);
  EXPECT_THAT(d.message, HasSubstr("max_iterations"));
}

TEST(ConfigValues, TextWithCharactersToml3CannotTakeIsReadAsWritten) {
  // é and the CJK compatibility form ︿ reach a bug in toml++ 3.3.0: rlm parses a copy with
  // stand-ins and swaps them back (toml_defuse.hpp); the values are what the file says.
  const auto result = parse("[[providers]]\nprovider_type = \"ollama\"\nname = \"caf\xC3\xA9 "
                            "\xEF\xB8\xBF\"\nmodel = \"m\xC3\xA9\"\nrole = \"root\"\n");
  ASSERT_FALSE(has_errors(result.diagnostics));
  ASSERT_EQ(result.config.providers.size(), 1U);
  EXPECT_EQ(result.config.providers[0].name, "caf\xC3\xA9 \xEF\xB8\xBF");
  EXPECT_EQ(result.config.providers[0].model, "m\xC3\xA9");
  // A warning quotes the file's own characters too.
  const auto warned = parse("\"cl\xC3\xA9\" = 1\n");
  ASSERT_EQ(warned.diagnostics.size(), 1U);
  EXPECT_EQ(warned.diagnostics[0].key, "cl\xC3\xA9");
}

TEST(ConfigErrors, InvalidUtf8) {
  const auto d = only_diagnostic(parse("model = \"\xff\xfe\"\n"));
  EXPECT_EQ(d.severity, k_error);
  EXPECT_THAT(d.message, HasSubstr("not UTF-8 text (a byte 0xFF)"));
}

TEST(ConfigErrors, UnknownProviderTypeSuggestsTheClosest) {
  const auto d = only_diagnostic(
      parse("[[providers]]\nprovider_type = \"olama\"\nmodel = \"m\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.key, "providers[0].provider_type");
  EXPECT_THAT(d.hint, HasSubstr("did you mean \"ollama\""));
  EXPECT_THAT(d.hint, HasSubstr("\"deepseek\", \"openai\""));
}

TEST(ConfigErrors, UnknownProviderTypeFarFromAnyGetsTheList) {
  const auto d = only_diagnostic(
      parse("[[providers]]\nprovider_type = \"anthropic\"\nmodel = \"m\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.hint, "use one of \"ollama\", \"deepseek\", \"openai\"");
}

TEST(ConfigErrors, MissingModel) {
  const auto d = only_diagnostic(
      parse("max_iterations = 3\n[[providers]]\nprovider_type = \"ollama\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.line, 2); // the [[providers]] header
  EXPECT_EQ(d.key, "providers[0].model");
  EXPECT_EQ(d.message, "missing");
  EXPECT_THAT(d.hint, HasSubstr("add model = "));
}

TEST(ConfigErrors, MissingProviderType) {
  const auto d = only_diagnostic(parse("[[providers]]\nmodel = \"m\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.key, "providers[0].provider_type");
  EXPECT_EQ(d.message, "missing");
}

TEST(ConfigErrors, MissingRole) {
  const auto result = parse("[[providers]]\nprovider_type = \"ollama\"\nmodel = \"m\"\n");
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_EQ(result.diagnostics.front().key, "providers[0].role");
  EXPECT_EQ(result.diagnostics.front().message, "missing");
}

TEST(ConfigErrors, RoleTypo) {
  const auto d = only_diagnostic(
      parse("[[providers]]\nprovider_type = \"ollama\"\nmodel = \"m\"\nrole = \"rooot\"\n"));
  EXPECT_EQ(d.line, 4);
  EXPECT_EQ(d.key, "providers[0].role");
  EXPECT_THAT(d.hint, HasSubstr("did you mean \"root\""));
}

TEST(ConfigErrors, NoRootProvider) {
  const auto d = only_diagnostic(
      parse("[[providers]]\nprovider_type = \"ollama\"\nmodel = \"m\"\nrole = \"sub\"\n"));
  EXPECT_EQ(d.key, "providers");
  EXPECT_EQ(d.line, 1);
  EXPECT_THAT(d.message, HasSubstr("no provider has role = \"root\""));
}

TEST(ConfigErrors, WeightAsStringSuggestsRemovingQuotes) {
  const auto d = only_diagnostic(parse(k_root_provider + "weight = \"2\"\n"));
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(d.key, "providers[0].weight");
  EXPECT_EQ(d.message, "expected a number, found a string");
  EXPECT_EQ(d.hint, "remove the quotes: weight = 2");
}

TEST(ConfigErrors, WeightMustBePositive) {
  const auto d = only_diagnostic(parse(k_root_provider + "weight = 0\n"));
  EXPECT_EQ(d.message, "0 is out of range");
  EXPECT_THAT(d.hint, HasSubstr("above 0"));
}

TEST(ConfigErrors, IntegerOutOfRange) {
  const auto d = only_diagnostic(parse("max_iterations = 0\n"));
  EXPECT_EQ(d.key, "max_iterations");
  EXPECT_EQ(d.hint, "use a value from 1 to 1000");
}

TEST(ConfigErrors, FractionWhereWholeNumberNeeded) {
  const auto d = only_diagnostic(parse("max_sub_calls = 2.5\n"));
  EXPECT_EQ(d.message, "expected a whole number, found 2.5");
}

TEST(ConfigErrors, BooleanAsString) {
  const auto d = only_diagnostic(parse("bypass_enabled = \"yes\"\n"));
  EXPECT_EQ(d.message, "expected true or false, found a string");
}

TEST(ConfigLoad, ThinkIsABooleanOrALevelAndUnsetByDefault) {
  EXPECT_FALSE(parse(k_root_provider).config.providers[0].think);
  EXPECT_EQ(parse(k_root_provider + "think = false\n").config.providers[0].think, Think::off);
  EXPECT_EQ(parse(k_root_provider + "think = true\n").config.providers[0].think, Think::on);
  EXPECT_EQ(parse(k_root_provider + "think = \"high\"\n").config.providers[0].think, Think::high);
}

TEST(ConfigErrors, ThinkWithAQuotedBooleanOrAnUnknownLevel) {
  const auto quoted = only_diagnostic(parse(k_root_provider + "think = \"false\"\n"));
  EXPECT_EQ(quoted.key, "providers[0].think");
  EXPECT_EQ(quoted.hint, "remove the quotes: think = false");
  const auto level = only_diagnostic(parse(k_root_provider + "think = \"hihg\"\n"));
  EXPECT_EQ(level.message, "\"hihg\" is not allowed");
  EXPECT_THAT(level.hint, HasSubstr("did you mean \"high\"?"));
  EXPECT_THAT(level.hint, HasSubstr("or true or false"));
  const auto number = only_diagnostic(parse(k_root_provider + "think = 1\n"));
  EXPECT_EQ(number.message, "expected true, false or a level, found an integer");
}

TEST(ConfigErrors, SectionThatIsNotATable) {
  const auto d = only_diagnostic(parse("sandbox = 5\n"));
  EXPECT_EQ(d.key, "sandbox");
  EXPECT_THAT(d.hint, HasSubstr("[sandbox]"));
}

TEST(ConfigErrors, ProvidersWrittenWithSingleBrackets) {
  const auto d = only_diagnostic(
      parse("[providers]\nprovider_type = \"ollama\"\nmodel = \"m\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.key, "providers");
  EXPECT_EQ(d.hint, "write the header with double brackets: [[providers]]");
}

TEST(ConfigErrors, BaseUrlWithoutScheme) {
  const auto d = only_diagnostic(parse(k_root_provider + "base_url = \"localhost:11434\"\n"));
  EXPECT_EQ(d.key, "providers[0].base_url");
  EXPECT_EQ(d.message, "must start with http:// or https://");
}

TEST(ConfigErrors, OpenAiProviderNeedsBaseUrl) {
  const auto d = only_diagnostic(
      parse("[[providers]]\nprovider_type = \"openai\"\nmodel = \"m\"\nrole = \"root\"\n"));
  EXPECT_EQ(d.key, "providers[0].base_url");
  EXPECT_THAT(d.hint, HasSubstr("base_url = \"http://localhost:8080/v1\""));
}

TEST(ConfigErrors, ApiKeyInFileIsRefusedWithoutEchoingIt) {
  const auto result =
      parse("[[providers]]\nprovider_type = \"deepseek\"\nmodel = \"m\"\nrole = \"root\"\n"
            "api_key = \"sk-test-fake-0123456789\"\n");
  const auto d = only_diagnostic(result);
  EXPECT_EQ(d.severity, k_error);
  EXPECT_EQ(d.line, 5);
  EXPECT_THAT(d.hint, HasSubstr("DEEPSEEK_API_KEY"));
  EXPECT_THAT(testing::all_formatted(result), ::testing::Not(HasSubstr("sk-test-fake")));
}

TEST(ConfigErrors, KeyPastedIntoApiKeyEnvIsNotEchoed) {
  const auto result = parse(k_root_provider + "api_key_env = \"sk-test-fake-0123456789\"\n");
  const auto d = only_diagnostic(result);
  EXPECT_EQ(d.key, "providers[0].api_key_env");
  EXPECT_THAT(testing::all_formatted(result), ::testing::Not(HasSubstr("sk-test-fake")));
}

TEST(ConfigErrors, BadLengthSpec) {
  const auto d = only_diagnostic(parse("[bench]\nlengths = \"4k..x\"\n"));
  EXPECT_EQ(d.key, "bench.lengths");
  EXPECT_EQ(d.message, "is not a list or range of lengths");
}

TEST(ConfigErrors, BadBenchMethodSuggestsTheClosest) {
  const auto d = only_diagnostic(parse("[bench]\nmethods = [\"rlm\", \"vanila\"]\n"));
  EXPECT_THAT(d.hint, HasSubstr("did you mean \"vanilla\""));
}

TEST(ConfigFile, CacheTableIsReadAndOffByDefault) {
  EXPECT_FALSE(parse("").config.cache.enabled);
  const auto result = parse("[cache]\nenabled = true\npath = \"/tmp/c.sqlite\"\nmax_size_mb = 8\n");
  ASSERT_TRUE(result.diagnostics.empty()) << testing::all_formatted(result);
  EXPECT_TRUE(result.config.cache.enabled);
  EXPECT_EQ(result.config.cache.path, "/tmp/c.sqlite");
  EXPECT_EQ(result.config.cache.max_size_mb, 8);
  EXPECT_EQ(only_diagnostic(parse("[cache]\nmax_size_mb = 0\n")).key, "cache.max_size_mb");
}

TEST(ConfigErrors, DuplicateExplicitProviderNames) {
  const auto d = only_diagnostic(
      parse(k_root_provider + "name = \"gpu\"\n" + k_root_provider + "name = \"gpu\"\n"));
  EXPECT_EQ(d.key, "providers[1].name");
}

TEST(ConfigErrors, EveryErrorIsReportedNotJustTheFirst) {
  const auto result = parse("max_iterations = 0\nmax_sub_calls = -1\n");
  EXPECT_EQ(result.diagnostics.size(), 2U);
  EXPECT_TRUE(has_errors(result.diagnostics));
}

TEST(ConfigWarnings, UnknownTopLevelKeySuggestsTheClosest) {
  const auto result = parse("max_iteratons = 5\n");
  const auto d = only_diagnostic(result);
  EXPECT_EQ(d.severity, k_warning);
  EXPECT_EQ(d.hint, "did you mean \"max_iterations\"?");
  EXPECT_FALSE(has_errors(result.diagnostics));
}

TEST(ConfigWarnings, UnknownProviderKeySuggestsTheClosest) {
  const auto d = only_diagnostic(parse(k_root_provider + "wieght = 2\n"));
  EXPECT_EQ(d.severity, k_warning);
  EXPECT_EQ(d.key, "providers[0].wieght");
  EXPECT_EQ(d.hint, "did you mean \"weight\"?");
}

TEST(ConfigWarnings, KnownKeyInTheWrongTableSaysWhereItBelongs) {
  const auto d = only_diagnostic(parse("cell_timeout_seconds = 5\n"));
  EXPECT_EQ(d.hint, "\"cell_timeout_seconds\" belongs in [sandbox]");
}

TEST(ConfigFile, MissingFile) {
  const auto result = load_config_file("/nonexistent/rlm.toml");
  const auto d = only_diagnostic(result);
  EXPECT_EQ(d.message, "no such file");
  EXPECT_EQ(d.file, "/nonexistent/rlm.toml");
}

TEST(ConfigFile, RelativePromptsDirIsTakenFromTheFilesDirectory) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("rlm-prompts-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "rlm.toml") << "prompts_dir = \"my-prompts\"\n";
  const auto result = load_config_file(dir / "rlm.toml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(result.diagnostics.empty());
  EXPECT_EQ(result.config.prompts_dir, (dir / "my-prompts").string());
}

TEST(ConfigFile, DirectoryIsNotAConfig) {
  const auto d = only_diagnostic(load_config_file("/"));
  EXPECT_EQ(d.message, "is a directory");
}

TEST(ConfigFile, ShippedExamplesLoadWithoutAnyDiagnostic) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(RLM_SOURCE_DIR "/configs")) {
    if (entry.path().extension() != ".toml") continue;
    const auto result = load_config_file(entry.path());
    EXPECT_TRUE(result.diagnostics.empty()) << entry.path() << "\n"
                                            << testing::all_formatted(result);
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

} // namespace
} // namespace rlm::config
