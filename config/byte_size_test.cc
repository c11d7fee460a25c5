#include "config/byte_size.h"

#include <gtest/gtest.h>

namespace atl::config {
namespace {

TEST(ByteSize, ParsesUnits) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("10MB"), 10u << 20);
  EXPECT_EQ(*ParseByteSize("512kb"), 512u << 10);
  EXPECT_EQ(*ParseByteSize(" 1 GiB "), 1u << 30);
  EXPECT_EQ(*ParseByteSize("7B"), 7u);
}

TEST(ByteSize, RejectsGarbage) {
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("MB").ok());
  EXPECT_FALSE(ParseByteSize("10XB").ok());
  EXPECT_FALSE(ParseByteSize("-1MB").ok());
  EXPECT_FALSE(ParseByteSize("999999999999999GB").ok());
}

}  // namespace
}  // namespace atl::config
