#include "isolates/isolate_pool.h"

#include <malloc.h>

#include <chrono>

namespace atl::isolates {

IsolatePool::IsolatePool(const IsolateBlueprint& blueprint, uint32_t warm)
    : blueprint_(blueprint), warm_(warm), thread_([this] { Run(); }) {}

IsolatePool::~IsolatePool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::unique_ptr<TenantIsolate> IsolatePool::Take() {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<TenantIsolate> isolate;
  {
    std::lock_guard lock(mu_);
    if (!ready_.empty()) {
      isolate = std::move(ready_.back());
      ready_.pop_back();
      ++stats_.taken_warm;
    } else {
      ++stats_.created;
      ++stats_.taken_cold;
    }
  }
  wake_.notify_one();  // one short: make another
  if (isolate) {
    isolate->Bind();
  } else {
    isolate = TenantIsolate::Create(blueprint_);
  }
  take_latency_.RecordSince(start);
  return isolate;
}

void IsolatePool::Release(std::unique_ptr<TenantIsolate> isolate) {
  isolate->Unbind();
  {
    std::lock_guard lock(mu_);
    doomed_.push_back(std::move(isolate));
    ++stats_.released;
  }
  wake_.notify_one();
}

void IsolatePool::SetWarm(uint32_t warm) {
  {
    std::lock_guard lock(mu_);
    warm_ = warm;
    while (ready_.size() > warm_) {
      doomed_.push_back(std::move(ready_.back()));
      ready_.pop_back();
    }
  }
  wake_.notify_one();
}

size_t IsolatePool::ready() const {
  std::lock_guard lock(mu_);
  return ready_.size();
}

IsolatePool::Stats IsolatePool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void IsolatePool::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !doomed_.empty() || ready_.size() < warm_; });
    if (stop_) break;
    if (!doomed_.empty()) {
      std::deque<std::unique_ptr<TenantIsolate>> doomed;
      doomed.swap(doomed_);
      lock.unlock();
      doomed.clear();  // Dispose
      malloc_trim(0);
      lock.lock();
      continue;
    }
    lock.unlock();
    std::unique_ptr<TenantIsolate> isolate = TenantIsolate::CreateUnbound(blueprint_);
    if (blueprint_.prepare_context) isolate->PrepareContext();
    lock.lock();
    ready_.push_back(std::move(isolate));
    ++stats_.created;
  }
  ready_.clear();
  doomed_.clear();
}

}  // namespace atl::isolates
