#include "isolates/array_buffer_budget.h"

#include <gtest/gtest.h>

namespace atl::isolates {
namespace {

// As V8 asks: a refused allocation, a GC, another try, a GC, another try.
TEST(ArrayBufferBudget, RefusesPastTheBudgetAndTellsTheOwnerAfterTwoGcs) {
  ArrayBufferBudget budget;
  int exceeded = 0;
  budget.set_on_exceeded([&] { ++exceeded; });
  budget.set_budget(1000);
  void* a = budget.Allocate(600);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(budget.used(), 600u);
  EXPECT_EQ(budget.Allocate(500), nullptr);
  EXPECT_EQ(exceeded, 0) << "a GC may free what nobody holds";
  budget.AfterGc(0);
  EXPECT_EQ(budget.Allocate(500), nullptr);
  EXPECT_EQ(exceeded, 0) << "a buffer's free completes by the next GC";
  budget.AfterGc(0);
  EXPECT_EQ(budget.Allocate(500), nullptr);
  EXPECT_EQ(exceeded, 1) << "two GCs freed nothing: final";
  EXPECT_EQ(budget.used(), 600u) << "a refused allocation is not counted";
  budget.Free(a, 600);
  EXPECT_EQ(budget.used(), 0u);
  void* b = budget.AllocateUninitialized(1000);
  EXPECT_NE(b, nullptr);
  budget.Free(b, 1000);
}

// Chunks a stream makes and drops: refused while the dead ones still count, fine once a GC
// freed them; the owner is never told, and the next refusal starts a new run.
TEST(ArrayBufferBudget, ARefusalThatAGcResolvesIsNotFinal) {
  ArrayBufferBudget budget;
  int exceeded = 0;
  budget.set_on_exceeded([&] { ++exceeded; });
  budget.set_budget(1000);
  for (int round = 0; round < 5; ++round) {
    void* dead = budget.Allocate(800);  // dropped by its holder, not freed until a GC
    ASSERT_NE(dead, nullptr) << round;
    EXPECT_EQ(budget.Allocate(800), nullptr) << round;
    budget.AfterGc(0);
    budget.Free(dead, 800);  // the GC's sweep
    budget.AfterGc(0);       // more GCs while refused, counted for nothing once one fits
    void* next = budget.Allocate(800);
    EXPECT_NE(next, nullptr) << round;
    budget.Free(next, 800);
  }
  EXPECT_EQ(exceeded, 0);
}

TEST(ArrayBufferBudget, TheHeapSharesTheBudget) {
  ArrayBufferBudget budget;
  budget.set_budget(1000);
  budget.set_heap_used(700);
  EXPECT_EQ(budget.Allocate(400), nullptr);
  void* fits = budget.Allocate(300);
  EXPECT_NE(fits, nullptr);
  budget.Free(fits, 300);
  budget.set_heap_used(2000);  // the heap alone is over: nothing more
  EXPECT_EQ(budget.Allocate(1), nullptr);
}

// Wasm memory (isolates/wasm_memory_meter.h) shares the budget, and is counted once.
TEST(ArrayBufferBudget, ExternalMemorySharesTheBudget) {
  ArrayBufferBudget budget;
  int exceeded = 0;
  budget.set_on_exceeded([&] { ++exceeded; });
  budget.set_budget(1000);
  budget.set_heap_used(100);
  void* a = budget.Allocate(400);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(budget.ReserveExternal(500));
  EXPECT_FALSE(budget.ReserveExternal(1)) << "heap 100 + buffers 400 + Wasm 500 fill it";
  EXPECT_EQ(budget.external(), 500u) << "a refused reservation counts nothing";
  EXPECT_EQ(exceeded, 0) << "the meter decides what a refusal means";
  EXPECT_EQ(budget.Allocate(1), nullptr);
  EXPECT_FALSE(budget.over_budget());
  budget.ReleaseExternal(500);
  EXPECT_TRUE(budget.ReserveExternal(500));
  budget.set_heap_used(200);
  EXPECT_TRUE(budget.over_budget()) << "the heap grew past what is left";
  budget.ReleaseExternal(500);
  budget.Free(a, 400);
}

TEST(ArrayBufferBudget, UnlimitedUntilABudgetIsSet) {
  ArrayBufferBudget budget;
  void* big = budget.Allocate(64 << 20);
  ASSERT_NE(big, nullptr);
  budget.Free(big, 64 << 20);
}

}  // namespace
}  // namespace atl::isolates
