#include "isolates/array_buffer_budget.h"

namespace atl::isolates {

ArrayBufferBudget::ArrayBufferBudget() : system_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}

ArrayBufferBudget::~ArrayBufferBudget() { delete system_; }

// Adds `bytes` to `counter` if that keeps it within what the budget leaves after `others`.
bool ArrayBufferBudget::TryAdd(std::atomic<size_t>& counter, size_t bytes, size_t others) {
  size_t before = counter.fetch_add(bytes, std::memory_order_relaxed);
  size_t budget = budget_.load(std::memory_order_relaxed);
  if (others <= budget && before + bytes <= budget - others) return true;
  counter.fetch_sub(bytes, std::memory_order_relaxed);
  return false;
}

bool ArrayBufferBudget::Reserve(size_t length) {
  size_t others = heap_used_.load(std::memory_order_relaxed) + external_.load(std::memory_order_relaxed);
  if (TryAdd(used_, length, others)) {
    refused_since_.store(kNoRefusal, std::memory_order_relaxed);
    return true;
  }
  uint64_t gcs = gcs_.load(std::memory_order_relaxed);
  uint64_t since = kNoRefusal;
  // The first refusal of a run starts it; one after two GCs since then is final.
  if (!refused_since_.compare_exchange_strong(since, gcs, std::memory_order_relaxed) && gcs - since >= 2 && on_exceeded_) {
    on_exceeded_();
  }
  return false;
}

bool ArrayBufferBudget::ReserveExternal(size_t bytes) {
  return TryAdd(external_, bytes, heap_used_.load(std::memory_order_relaxed) + used_.load(std::memory_order_relaxed));
}

bool ArrayBufferBudget::over_budget() const {
  size_t budget = budget_.load(std::memory_order_relaxed);
  size_t total = heap_used_.load(std::memory_order_relaxed) + external_.load(std::memory_order_relaxed) +
                 used_.load(std::memory_order_relaxed);
  return total > budget;
}

void* ArrayBufferBudget::Allocate(size_t length) {
  if (!Reserve(length)) return nullptr;
  void* data = system_->Allocate(length);
  if (data == nullptr) used_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void* ArrayBufferBudget::AllocateUninitialized(size_t length) {
  if (!Reserve(length)) return nullptr;
  void* data = system_->AllocateUninitialized(length);
  if (data == nullptr) used_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void ArrayBufferBudget::Free(void* data, size_t length) {
  system_->Free(data, length);
  used_.fetch_sub(length, std::memory_order_relaxed);
}

}  // namespace atl::isolates
