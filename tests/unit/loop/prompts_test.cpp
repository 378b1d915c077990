// prompts_dir: a file there replaces its built-in prompt; a bad directory is a usage error.
#include "rlm/loop/prompts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rlm::loop {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* name) {
  const auto dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(PromptsDir, AFileReplacesItsPromptAndTheOthersStayBuiltIn) {
  const auto dir = fresh_dir("rlm-prompts-test");
  std::ofstream(dir / "final.md") << "give the answer now";
  const auto prompts = load_prompts(dir.string());
  fs::remove_all(dir);
  ASSERT_TRUE(prompts) << prompts.error().message;
  EXPECT_EQ(prompts->final, "give the answer now");
  EXPECT_EQ(prompts->system, load_prompts("")->system);
}

TEST(PromptsDir, ADirectoryThatIsNotThereIsAUsageError) {
  const auto prompts = load_prompts("/nonexistent/prompts");
  ASSERT_FALSE(prompts);
  EXPECT_EQ(prompts.error().kind, ErrorKind::usage);
  EXPECT_EQ(prompts.error().message, "prompts_dir /nonexistent/prompts is not a directory");
  EXPECT_EQ(prompts.error().hint,
            "fix prompts_dir in the config, or remove it to use the built-in prompts");
}

TEST(PromptsDir, AnUnreadablePromptFileIsAUsageError) {
  const auto dir = fresh_dir("rlm-prompts-unreadable-test");
  fs::create_directory(dir / "system.md"); // exists, but cannot be read as a file
  const auto prompts = load_prompts(dir.string());
  fs::remove_all(dir);
  ASSERT_FALSE(prompts);
  EXPECT_EQ(prompts.error().kind, ErrorKind::usage);
  EXPECT_EQ(prompts.error().message, "cannot read the prompt file " + (dir / "system.md").string());
}

} // namespace
} // namespace rlm::loop
