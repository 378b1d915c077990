// --trajectory FILE: written to FILE.partial, renamed over FILE by finish().
#include "rlm/loop/trajectory.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlm::loop {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Trajectory, FinishRenamesThePartialFileOverTheTarget) {
  const auto path = fs::temp_directory_path() / "rlm-trajectory-test.jsonl";
  fs::remove(path);
  auto writer = TrajectoryWriter::open(path.string(), {{"type", "header"}});
  ASSERT_TRUE(writer) << writer.error().message;
  EXPECT_TRUE(fs::exists(path.string() + ".partial"));
  ASSERT_TRUE((*writer)->finish({{"answer", "42"}}));
  EXPECT_FALSE(fs::exists(path.string() + ".partial"));
  EXPECT_EQ(read_file(path), "{\"type\":\"header\"}\n{\"answer\":\"42\",\"type\":\"result\"}\n");
  fs::remove(path);
}

TEST(Trajectory, ARequestIsOneLineWithWhatItKeepsAndWhatItAdds) {
  const auto path = fs::temp_directory_path() / "rlm-trajectory-request-test.jsonl";
  auto writer = TrajectoryWriter::open(path.string(), {{"type", "header"}});
  ASSERT_TRUE(writer) << writer.error().message;
  (*writer)->on_request({1, 1, 3, 2, {{"user", "output é"}}, 3});
  ASSERT_TRUE((*writer)->finish({}));
  std::istringstream lines(read_file(path));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  EXPECT_EQ(nlohmann::json::parse(line),
            nlohmann::json::parse(R"({"type":"request","run":1,"depth":1,"iteration":3,"keep":2,
                                      "messages":[{"role":"user","content":"output é"}],
                                      "count":3})"));
  fs::remove(path);
}

TEST(Trajectory, AMissingDirectoryIsAnOutputError) {
  const auto writer = TrajectoryWriter::open("/nonexistent/dir/t.jsonl", {{"type", "header"}});
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().kind, ErrorKind::output);
  EXPECT_EQ(writer.error().message,
            "cannot write the trajectory /nonexistent/dir/t.jsonl.partial: No such file or "
            "directory");
  EXPECT_EQ(writer.error().hint, "check that the directory exists and is writable");
}

} // namespace
} // namespace rlm::loop
