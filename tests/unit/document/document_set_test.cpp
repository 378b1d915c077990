#include "rlm/document/document_set.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rlm::document {
namespace {

using ::testing::HasSubstr;

// The "message; hint" of an add that must fail as unusable input.
std::string input_error(const Result<>& added) {
  if (added) {
    ADD_FAILURE() << "the document was accepted";
    return {};
  }
  EXPECT_EQ(added.error().kind, ErrorKind::input);
  return added.error().message + "; " + added.error().hint;
}

TEST(DocumentSet, HoldsSeveralDocumentsBackToBack) {
  DocumentSet set;
  ASSERT_TRUE(set.add_text("a.txt", "alpha\nbeta\n"));
  ASSERT_TRUE(set.add_text("b.txt", "gamma é"));
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
  const auto added = set.add_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(set.read(0), "one\ntwo");
  EXPECT_EQ(set.documents()[0].name, path.string());
}

TEST(DocumentSet, MissingFile) {
  DocumentSet set;
  EXPECT_EQ(input_error(set.add_file("/nonexistent/doc.txt")),
            "cannot read /nonexistent/doc.txt: No such file or directory; check the path");
}

TEST(DocumentSet, Directory) {
  DocumentSet set;
  EXPECT_THAT(input_error(set.add_file("/tmp")), HasSubstr("/tmp is a directory"));
}

TEST(DocumentSet, EmptyDocument) {
  DocumentSet set;
  EXPECT_EQ(input_error(set.add_text("e.txt", "")),
            "e.txt is empty; give rlm a document with text in it");
}

TEST(DocumentSet, BinaryDocument) {
  DocumentSet set;
  EXPECT_THAT(input_error(set.add_text("b.bin", std::string_view("PK\x03\x04\0\0", 6))),
              HasSubstr("b.bin is a binary file (a NUL byte at line 1, column 5, byte 4)"));
}

TEST(DocumentSet, InvalidUtf8SaysWhere) {
  DocumentSet set;
  EXPECT_THAT(input_error(set.add_text("l.txt", "ok\ncaf\xe9\n")),
              HasSubstr("l.txt is not valid UTF-8 (line 2, column 4, byte 6)"));
}

TEST(DocumentSet, ARefusedDocumentIsNotListedAndTheSetStaysUsable) {
  DocumentSet set;
  ASSERT_FALSE(set.add_text("bad.txt", "caf\xe9"));
  ASSERT_TRUE(set.add_text("good.txt", "fine"));
  ASSERT_EQ(set.documents().size(), 1U);
  EXPECT_EQ(set.read(0), "fine");
}

TEST(DocumentSet, AMovedFromSetRefusesDocuments) {
  DocumentSet from;
  ASSERT_TRUE(from.add_text("a.txt", "alpha"));
  DocumentSet to = std::move(from);
  EXPECT_EQ(to.read(0), "alpha");
  const auto added = from.add_text("b.txt", "beta"); // NOLINT(bugprone-use-after-move)
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().kind, ErrorKind::internal);
  EXPECT_THAT(added.error().message, HasSubstr("cannot create a memory file"));
}

} // namespace
} // namespace rlm::document
