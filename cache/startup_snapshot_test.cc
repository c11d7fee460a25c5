#include "cache/startup_snapshot.h"

#include <gtest/gtest.h>

namespace atl::cache {
namespace {

TEST(StartupSnapshot, EncodesSeedAndBlob) {
  std::string file = EncodeStartupSnapshot(0x0123456789abcdefull, std::string("blob\0bytes", 10));
  EXPECT_EQ(StartupSnapshotHashSeed(file), 0x0123456789abcdefull);
  EXPECT_EQ(StartupSnapshotBlob(file), std::string_view("blob\0bytes", 10));
}

TEST(StartupSnapshot, EncodesTwoBlobs) {
  std::string file = EncodeStartupSnapshot(42, std::string("first\0", 6), "second");
  EXPECT_EQ(StartupSnapshotHashSeed(file), 42u);
  EXPECT_EQ(StartupSnapshotBlob(file), std::string_view("first\0", 6));
  EXPECT_EQ(StartupSnapshotStreamsBlob(file), "second");
  // One blob: the version-1 file, without a streams blob.
  EXPECT_EQ(StartupSnapshotStreamsBlob(EncodeStartupSnapshot(42, "only")), "");
  // A first blob's length past the end of the file.
  file[25] = '\x7f';
  EXPECT_EQ(StartupSnapshotBlob(file), "");
  EXPECT_EQ(StartupSnapshotStreamsBlob(file), "");
}

TEST(StartupSnapshot, RejectsWhatIsNotOne) {
  EXPECT_EQ(StartupSnapshotHashSeed("short"), 0u);
  EXPECT_EQ(StartupSnapshotBlob("not a snapshot file at all"), "");
  EXPECT_EQ(StartupSnapshotBlob(""), "");
}

}  // namespace
}  // namespace atl::cache
