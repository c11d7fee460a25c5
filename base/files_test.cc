#include "base/files.h"

#include <gtest/gtest.h>

#include <fstream>

namespace atl::base {
namespace {

TEST(ReadFile, ReadsEveryByte) {
  auto path = std::filesystem::path(testing::TempDir()) / "atoll-read-file";
  std::string bytes("a\0b\nc", 5);
  std::ofstream(path, std::ios::binary) << bytes;
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, bytes);
  std::filesystem::remove(path);
}

TEST(ReadFile, MissingFileNamesItAndWhy) {
  absl::StatusOr<std::string> text = ReadFile("/nonexistent/atoll/x.js");
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(absl::IsNotFound(text.status()));
  EXPECT_NE(text.status().message().find("cannot read file \"/nonexistent/atoll/x.js\": No such file"),
            std::string_view::npos) << text.status();
}

TEST(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporary) {
  for (bool durable : {false, true}) {
    auto dir = std::filesystem::path(testing::TempDir()) / ("atoll-write-atomic-" + std::to_string(durable));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto path = dir / "f";
    ASSERT_TRUE(WriteFileAtomically(path, "old", durable).ok());
    std::string bytes("new\0bytes", 9);
    absl::Status written = WriteFileAtomically(path, bytes, durable);
    ASSERT_TRUE(written.ok()) << written;
    EXPECT_EQ(*ReadFile(path), bytes);
    ASSERT_TRUE(WriteFileAtomically(dir / "empty", "", durable).ok());
    EXPECT_EQ(*ReadFile(dir / "empty"), "");
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      ++files;
      EXPECT_TRUE(entry.path().filename() == "f" || entry.path().filename() == "empty") << entry.path();
    }
    EXPECT_EQ(files, 2);
    std::filesystem::remove_all(dir);
  }
}

TEST(WriteFileAtomically, NamesTheFileItCannotCreate) {
  absl::Status written = WriteFileAtomically("/nonexistent/atoll/x", "bytes", true);
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.message().find("cannot create /nonexistent/atoll/x.tmp."), std::string_view::npos) << written;
}

}  // namespace
}  // namespace atl::base
