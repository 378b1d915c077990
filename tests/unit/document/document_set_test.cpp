#include "rlm/document/document_set.hpp"
#include "rlm/util/fatal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rlm::document {
namespace {

using ::testing::HasSubstr;

std::string fatal_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const Fatal& e) {
    EXPECT_EQ(e.code(), ExitCode::input);
    return std::string(e.what()) + "; " + e.hint();
  }
  ADD_FAILURE() << "no Fatal thrown";
  return {};
}

TEST(DocumentSet, HoldsSeveralDocumentsBackToBack) {
  DocumentSet set;
  set.add_text("a.txt", "alpha\nbeta\n");
  set.add_text("b.txt", "gamma é");
  ASSERT_EQ(set.documents().size(), 2U);
  EXPECT_EQ(set.documents()[0].lines, 2U);
  EXPECT_EQ(set.documents()[1].offset, 11U);
  EXPECT_EQ(set.documents()[1].characters, 7U);
  EXPECT_EQ(set.documents()[1].lines, 1U);
  EXPECT_EQ(set.total_bytes(), 19U);
  EXPECT_EQ(set.read(1), "gamma é");
  EXPECT_EQ(set.read(0, 5), "alpha");
}

TEST(DocumentSet, ReadsFiles) {
  const auto path = std::filesystem::temp_directory_path() / "rlm-docset-test.txt";
  std::ofstream(path) << "one\ntwo";
  DocumentSet set;
  set.add_file(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(set.read(0), "one\ntwo");
  EXPECT_EQ(set.documents()[0].name, path.string());
}

TEST(DocumentSet, MissingFile) {
  DocumentSet set;
  EXPECT_EQ(fatal_message([&] { set.add_file("/nonexistent/doc.txt"); }),
            "cannot read /nonexistent/doc.txt: No such file or directory; check the path");
}

TEST(DocumentSet, Directory) {
  DocumentSet set;
  EXPECT_THAT(fatal_message([&] { set.add_file("/tmp"); }), HasSubstr("/tmp is a directory"));
}

TEST(DocumentSet, EmptyDocument) {
  DocumentSet set;
  EXPECT_EQ(fatal_message([&] { set.add_text("e.txt", ""); }),
            "e.txt is empty; give rlm a document with text in it");
}

TEST(DocumentSet, BinaryDocument) {
  DocumentSet set;
  EXPECT_THAT(fatal_message([&] { set.add_text("b.bin", std::string_view("PK\x03\x04\0\0", 6)); }),
              HasSubstr("b.bin is a binary file (a NUL byte at line 1, column 5, byte 4)"));
}

TEST(DocumentSet, InvalidUtf8SaysWhere) {
  DocumentSet set;
  EXPECT_THAT(fatal_message([&] { set.add_text("l.txt", "ok\ncaf\xe9\n"); }),
              HasSubstr("l.txt is not valid UTF-8 (line 2, column 4, byte 6)"));
}

} // namespace
} // namespace rlm::document
