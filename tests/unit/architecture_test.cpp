// The one error model, checked on the source: below src/cli/ a failure is returned as a
// Result (include/rlm/util/error.hpp); only src/cli/ throws Fatal, for app.cpp to print.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace rlm {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Where Fatal is defined: its own constructor is no throw.
constexpr const char* k_definition = "src/cli/fatal.hpp";

bool under_any(const std::string& path, const std::vector<std::string>& folders) {
  for (const auto& folder : folders)
    if (path.starts_with(folder)) return true;
  return false;
}

// "path:line" of each line of `path` that throws or constructs Fatal (comments aside).
void scan(const fs::path& root, const std::string& path, std::vector<std::string>& found) {
  static const std::regex k_throw(R"(\bthrow\s+Fatal\b|\bFatal\s*[({])");
  std::ifstream in(root / path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto code = line.substr(0, line.find("//"));
    if (std::regex_search(code, k_throw)) found.push_back(path + ":" + std::to_string(number));
  }
}

// Every place under src/ and include/ that throws Fatal, outside the `allowed` folders.
std::vector<std::string> fatal_throwers(const std::vector<std::string>& allowed) {
  const fs::path root = RLM_SOURCE_DIR;
  std::vector<std::string> found;
  for (const char* top : {"src", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const auto path = fs::relative(entry.path(), root).generic_string();
      const bool source = path.ends_with(".cpp") || path.ends_with(".hpp");
      if (entry.is_regular_file() && source && path != k_definition && !under_any(path, allowed))
        scan(root, path, found);
    }
  }
  return found;
}

TEST(Architecture, OnlyTheCliThrowsFatal) { EXPECT_THAT(fatal_throwers({"src/cli/"}), IsEmpty()); }

// The scan sees a throw where there is one: the CLI's own.
TEST(Architecture, TheScanFindsTheCliThrowingFatal) {
  EXPECT_THAT(fatal_throwers({}), Contains(StartsWith("src/cli/ask_command.cpp:")));
}

} // namespace
} // namespace rlm
