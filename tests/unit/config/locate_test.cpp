// The lookup order: --config, $RLM_CONFIG, ./rlm.toml, $XDG_CONFIG_HOME (or ~/.config), built-in.
#include "rlm/config/locate.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace rlm::config {
namespace {

namespace fs = std::filesystem;

class ConfigLocate : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() /
             ("rlm-locate-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_root / "cwd");
  }
  void TearDown() override { fs::remove_all(m_root); }

  fs::path touch(const fs::path& relative) {
    const auto path = m_root / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "max_iterations = 3\n";
    return path;
  }

  Environment env() const {
    return [vars = m_vars](std::string_view name) -> std::optional<std::string> {
      const auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
  }

  // A lookup that must succeed.
  ConfigSource locate(std::optional<std::string> flag = std::nullopt) {
    auto source = locate_config(flag, env(), m_root / "cwd");
    EXPECT_TRUE(source) << source.error().message;
    return source.value_or(ConfigSource{});
  }

  // A lookup that must fail: its error.
  Error locate_error(std::optional<std::string> flag = std::nullopt) {
    auto source = locate_config(flag, env(), m_root / "cwd");
    EXPECT_FALSE(source) << "found " << source->found_by;
    return source ? Error{} : source.error();
  }

  fs::path m_root;
  std::map<std::string, std::string> m_vars;
};

TEST_F(ConfigLocate, NothingFoundMeansBuiltIn) {
  m_vars["HOME"] = (m_root / "home").string();
  const auto source = locate();
  EXPECT_FALSE(source.path);
  EXPECT_EQ(source.found_by, "built-in");
}

TEST_F(ConfigLocate, HomeConfigIsFoundWithoutXdg) {
  m_vars["HOME"] = (m_root / "home").string();
  const auto file = touch("home/.config/rlm/config.toml");
  const auto source = locate();
  EXPECT_EQ(source.path, file);
  EXPECT_EQ(source.found_by, "~/.config/rlm/config.toml");
}

TEST_F(ConfigLocate, XdgConfigHomeWinsOverHome) {
  m_vars["HOME"] = (m_root / "home").string();
  m_vars["XDG_CONFIG_HOME"] = (m_root / "xdg").string();
  touch("home/.config/rlm/config.toml");
  const auto file = touch("xdg/rlm/config.toml");
  EXPECT_EQ(locate().path, file);
}

TEST_F(ConfigLocate, RelativeXdgConfigHomeIsIgnoredAsTheSpecSays) {
  m_vars["HOME"] = (m_root / "home").string();
  m_vars["XDG_CONFIG_HOME"] = "relative/dir";
  const auto file = touch("home/.config/rlm/config.toml");
  EXPECT_EQ(locate().path, file);
}

TEST_F(ConfigLocate, LocalFileWinsOverUserConfig) {
  m_vars["HOME"] = (m_root / "home").string();
  touch("home/.config/rlm/config.toml");
  const auto file = touch("cwd/rlm.toml");
  const auto source = locate();
  EXPECT_EQ(source.path, file);
  EXPECT_EQ(source.found_by, "./rlm.toml");
}

TEST_F(ConfigLocate, EnvironmentWinsOverLocalFile) {
  touch("cwd/rlm.toml");
  const auto file = touch("elsewhere.toml");
  m_vars["RLM_CONFIG"] = file.string();
  const auto source = locate();
  EXPECT_EQ(source.path, file);
  EXPECT_EQ(source.found_by, "$RLM_CONFIG");
}

TEST_F(ConfigLocate, FlagWinsOverEverything) {
  touch("cwd/rlm.toml");
  m_vars["RLM_CONFIG"] = touch("env.toml").string();
  const auto file = touch("flag.toml");
  const auto source = locate(file.string());
  EXPECT_EQ(source.path, file);
  EXPECT_EQ(source.found_by, "--config");
}

TEST_F(ConfigLocate, MissingFlagFileIsAUsageError) {
  const auto error = locate_error((m_root / "nope.toml").string());
  EXPECT_EQ(error.kind, ErrorKind::usage);
  EXPECT_NE(error.message.find("from --config"), std::string::npos);
  EXPECT_EQ(error.hint, "check the path, or unset it to use the default lookup (docs/config.md)");
}

TEST_F(ConfigLocate, MissingEnvironmentFileIsAUsageError) {
  m_vars["RLM_CONFIG"] = (m_root / "nope.toml").string();
  const auto error = locate_error();
  EXPECT_EQ(error.kind, ErrorKind::usage);
  EXPECT_NE(error.message.find("(from $RLM_CONFIG) does not exist"), std::string::npos);
}

} // namespace
} // namespace rlm::config
