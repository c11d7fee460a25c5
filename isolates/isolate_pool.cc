#include "isolates/isolate_pool.h"

#include <malloc.h>

namespace atl::isolates {
namespace {
using Clock = std::chrono::steady_clock;
}

IsolatePool::IsolatePool(const IsolateBlueprint& blueprint, uint32_t warm)
    : blueprint_(blueprint), warm_(warm) {}

IsolatePool::~IsolatePool() = default;

std::unique_ptr<TenantIsolate> IsolatePool::Take() {
  auto start = Clock::now();
  std::unique_ptr<TenantIsolate> isolate;
  if (!ready_.empty()) {
    isolate = std::move(ready_.back());
    ready_.pop_back();
    ++stats_.taken_warm;
  } else {
    isolate = TenantIsolate::Create(blueprint_);
    ++stats_.created;
    ++stats_.taken_cold;
  }
  take_latency_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  return isolate;
}

void IsolatePool::Release(std::unique_ptr<TenantIsolate> isolate) {
  isolate.reset();
  ++stats_.released;
  trim_pending_ = true;
}

void IsolatePool::Refill(std::chrono::microseconds budget) {
  auto deadline = Clock::now() + budget;
  if (trim_pending_) {
    malloc_trim(0);
    trim_pending_ = false;
  }
  while (ready_.size() < warm_ && Clock::now() < deadline) {
    ready_.push_back(TenantIsolate::Create(blueprint_));
    ++stats_.created;
  }
}

}  // namespace atl::isolates
