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

}  // namespace
}  // namespace atl::base
