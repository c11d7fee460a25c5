#include "isolates/isolate_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace atl::isolates {
namespace {

TEST(IsolatePool, HandsOutWarmIsolatesAndRefillsInTheBackground) {
  IsolatePool pool(IsolateBlueprint{}, /*warm=*/2);
  // The pool's thread makes the first two.
  for (int i = 0; i < 500 && pool.stats().created < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(pool.stats().created, 2u);
  std::unique_ptr<TenantIsolate> isolate = pool.Take();
  ASSERT_NE(isolate, nullptr);
  EXPECT_EQ(pool.stats().taken_warm, 1u);
  {
    // Bound to this thread: usable here.
    v8::Isolate::Scope scope(isolate->isolate());
    v8::HandleScope handles(isolate->isolate());
    v8::Local<v8::Context> context = isolate->NewContext();
    EXPECT_FALSE(context.IsEmpty());
  }
  pool.Release(std::move(isolate));
  for (int i = 0; i < 500 && pool.stats().created < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pool.stats().created, 3u) << "one taken, one made to replace it";
  EXPECT_EQ(pool.stats().released, 1u);
  EXPECT_EQ(pool.take_latency().count(), 1u);
}

TEST(IsolatePool, MakesOneOnTheSpotWhenEmpty) {
  IsolatePool pool(IsolateBlueprint{}, /*warm=*/0);
  std::unique_ptr<TenantIsolate> isolate = pool.Take();
  ASSERT_NE(isolate, nullptr);
  EXPECT_EQ(pool.stats().taken_cold, 1u);
}

}  // namespace
}  // namespace atl::isolates
