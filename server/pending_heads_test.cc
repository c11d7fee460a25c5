#include "server/pending_heads.h"

#include <gtest/gtest.h>

#include <vector>

namespace atl::server {
namespace {

TEST(PendingHeads, PastTheLimitFetchesQueueAndLeaveInOrder) {
  PendingHeads heads(2);
  EXPECT_TRUE(heads.Admit(1, 10));
  EXPECT_TRUE(heads.Admit(1, 11));
  EXPECT_FALSE(heads.Admit(1, 12));
  EXPECT_FALSE(heads.Admit(1, 13));
  EXPECT_TRUE(heads.Admit(2, 20)) << "another request has its own limit";
  EXPECT_EQ(heads.waiting(), 3u);
  EXPECT_EQ(heads.queued(), 2u);
  std::vector<uint64_t> next;
  heads.Release(1, 11, &next);
  EXPECT_EQ(next, std::vector<uint64_t>{12});
  next.clear();
  heads.Release(1, 10, &next);
  EXPECT_EQ(next, std::vector<uint64_t>{13});
  EXPECT_EQ(heads.queued(), 0u);
}

TEST(PendingHeads, AQueuedFetchCancelledLeavesTheQueueAndFreesNothing) {
  PendingHeads heads(1);
  EXPECT_TRUE(heads.Admit(1, 10));
  EXPECT_FALSE(heads.Admit(1, 11));
  EXPECT_FALSE(heads.Admit(1, 12));
  std::vector<uint64_t> next;
  heads.Release(1, 11, &next);  // cancelled while queued
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(heads.waiting(), 1u);
  heads.Release(1, 10, &next);
  EXPECT_EQ(next, std::vector<uint64_t>{12});
  next.clear();
  heads.Release(1, 12, &next);
  EXPECT_EQ(heads.waiting() + heads.queued(), 0u) << "a request with nothing waiting is forgotten";
  heads.Release(1, 99, &next);  // unknown: nothing
  EXPECT_TRUE(next.empty());
}

TEST(PendingHeads, ANewFetchDoesNotOvertakeTheQueue) {
  PendingHeads heads(1);
  EXPECT_TRUE(heads.Admit(1, 10));
  EXPECT_FALSE(heads.Admit(1, 11));
  std::vector<uint64_t> next;
  heads.Release(1, 10, &next);
  EXPECT_EQ(next, std::vector<uint64_t>{11});
  EXPECT_FALSE(heads.Admit(1, 12)) << "11 took the place";
}

}  // namespace
}  // namespace atl::server
