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

TEST(IsolatePool, ASparesFirstContextIsMadeAheadWithTheSandboxRule) {
  IsolateBlueprint blueprint;
  blueprint.prepare_context = true;
  IsolatePool pool(blueprint, /*warm=*/2);
  for (int i = 0; i < 500 && pool.ready() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(pool.ready(), 2u);
  std::unique_ptr<TenantIsolate> isolate = pool.Take();
  ASSERT_TRUE(isolate->has_prepared_context()) << "made on the pool's thread";
  {
    v8::Isolate::Scope scope(isolate->isolate());
    v8::HandleScope handles(isolate->isolate());
    v8::Local<v8::Context> first = isolate->NewContext();
    EXPECT_FALSE(isolate->has_prepared_context()) << "taken once";
    v8::Context::Scope context_scope(first);
    EXPECT_FALSE(first->IsCodeGenerationFromStringsAllowed()) << "the SPEC 3 rule on the prepared context too";
    v8::Local<v8::Context> second = isolate->NewContext();
    EXPECT_FALSE(second->IsCodeGenerationFromStringsAllowed());
    EXPECT_NE(first, second);
  }
  pool.Release(std::move(isolate));
  // The other spare is disposed of with its context never used (the pool's thread, at the end).
}

TEST(IsolatePool, MakesOneOnTheSpotWhenEmpty) {
  IsolatePool pool(IsolateBlueprint{}, /*warm=*/0);
  std::unique_ptr<TenantIsolate> isolate = pool.Take();
  ASSERT_NE(isolate, nullptr);
  EXPECT_EQ(pool.stats().taken_cold, 1u);
}

TEST(IsolatePool, KeepsAsManyReadyAsItIsToldNow) {
  IsolatePool pool(IsolateBlueprint{}, /*warm=*/0);
  auto wait_for_ready = [&](size_t n) {
    for (int i = 0; i < 500 && pool.ready() != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return pool.ready();
  };
  EXPECT_EQ(wait_for_ready(0), 0u);
  pool.SetWarm(2);  // a tenant was deployed: made in the background
  EXPECT_EQ(wait_for_ready(2), 2u);
  pool.SetWarm(1);  // one removed: the extra spare is disposed of
  EXPECT_EQ(pool.ready(), 1u);
  EXPECT_NE(pool.Take(), nullptr);
  EXPECT_EQ(pool.stats().taken_warm, 1u);
  EXPECT_EQ(wait_for_ready(1), 1u) << "refilled to the new count";
  EXPECT_EQ(pool.stats().created, 3u);
}

}  // namespace
}  // namespace atl::isolates
