#include "cache/startup_snapshot.h"

#include <gtest/gtest.h>

namespace atl::cache {
namespace {

TEST(StartupSnapshot, EncodesSeedAndBlob) {
  std::string file = EncodeStartupSnapshot(0x0123456789abcdefull, std::string("blob\0bytes", 10));
  EXPECT_EQ(StartupSnapshotHashSeed(file), 0x0123456789abcdefull);
  EXPECT_EQ(StartupSnapshotBlob(file), std::string_view("blob\0bytes", 10));
}

TEST(StartupSnapshot, RejectsWhatIsNotOne) {
  EXPECT_EQ(StartupSnapshotHashSeed("short"), 0u);
  EXPECT_EQ(StartupSnapshotBlob("not a snapshot file at all"), "");
  EXPECT_EQ(StartupSnapshotBlob(""), "");
}

}  // namespace
}  // namespace atl::cache
