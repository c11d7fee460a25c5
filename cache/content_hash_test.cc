#include "cache/content_hash.h"

#include <gtest/gtest.h>

namespace atl::cache {
namespace {

TEST(Sha256Hex, MatchesFips180Vectors) {
  EXPECT_EQ(Sha256Hex({""}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex({"abc"}), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex({"a", "b", "c"}), Sha256Hex({"abc"}));
}

}  // namespace
}  // namespace atl::cache
