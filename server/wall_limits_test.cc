#include "server/wall_limits.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <set>
#include <utility>
#include <vector>

namespace atl::server {
namespace {

// A loop of its own per test, closed at the end.
class WallLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  // Runs the loop until `done` or about 10 s of loop time passed.
  template <typename Done>
  void RunUntil(Done done) {
    uv_timer_t guard;
    uv_timer_init(&loop_, &guard);
    uv_timer_start(&guard, [](uv_timer_t* t) { uv_stop(t->loop); }, 10'000, 0);
    while (!done() && uv_is_active(reinterpret_cast<uv_handle_t*>(&guard))) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  // Closes `wall`'s timer; the object may go after this.
  void Close(WallLimits& wall) {
    wall.Shutdown();
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  uv_loop_t loop_;
};

TEST_F(WallLimitsTest, DeadlinesPassInOrderAndEachOnce) {
  std::vector<std::pair<uint64_t, uint32_t>> expired;
  int batches = 0;
  {
    WallLimits wall(&loop_, [&](uint64_t id, uint32_t tenant) { expired.emplace_back(id, tenant); }, [&] { ++batches; });
    wall.Add(3, 7, 60);
    wall.Add(1, 5, 20);
    wall.Add(2, 6, 40);
    EXPECT_EQ(wall.queued(), 3u);
    RunUntil([&] { return expired.size() == 3; });
    EXPECT_EQ(wall.queued(), 0u);
    Close(wall);
  }
  ASSERT_EQ(expired.size(), 3u);
  EXPECT_EQ(expired[0], std::make_pair(uint64_t{1}, uint32_t{5}));
  EXPECT_EQ(expired[1], std::make_pair(uint64_t{2}, uint32_t{6}));
  EXPECT_EQ(expired[2], std::make_pair(uint64_t{3}, uint32_t{7}));
  EXPECT_GE(batches, 1);
}

TEST_F(WallLimitsTest, AnEarlierDeadlineAddedLaterRearmsTheTimer) {
  std::vector<uint64_t> expired;
  WallLimits wall(&loop_, [&](uint64_t id, uint32_t) { expired.push_back(id); }, nullptr);
  wall.Add(1, 0, 5'000);  // far away: the timer is armed for it
  wall.Add(2, 0, 10);     // must not wait for the first
  RunUntil([&] { return !expired.empty(); });
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], 2u);
  EXPECT_EQ(wall.queued(), 1u);
  Close(wall);
}

TEST_F(WallLimitsTest, TheTimerDoesNotKeepTheLoopAlive) {
  bool fired = false;
  WallLimits wall(&loop_, [&](uint64_t, uint32_t) { fired = true; }, nullptr);
  wall.Add(1, 0, 60'000);
  uv_run(&loop_, UV_RUN_DEFAULT);  // returns at once: nothing else is active
  EXPECT_FALSE(fired);
  Close(wall);
}

}  // namespace
}  // namespace atl::server
