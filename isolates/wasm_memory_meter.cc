#include "isolates/wasm_memory_meter.h"

#include <v8-isolate.h>

#include "isolates/tenant_isolate.h"

namespace atl::isolates {

void* WasmMemoryMeter::AllocatePages(void* address, size_t length, size_t alignment, Permission permissions) {
  void* start = inner_->AllocatePages(address, length, alignment, permissions);
  if (start == nullptr || alignment != kWasmPageBytes || permissions != kNoAccess) return start;
  // On the JS thread, with the tenant's isolate entered (V8's own threads enter none).
  v8::Isolate* isolate = v8::Isolate::TryGetCurrent();
  auto* owner = isolate == nullptr ? nullptr
                                   : static_cast<TenantIsolate*>(isolate->GetData(TenantIsolate::kTenantIsolateSlot));
  if (owner == nullptr) return start;
  std::lock_guard lock(mutex_);
  regions_[reinterpret_cast<uintptr_t>(start)] = Region{length, owner, 0, 0};
  return start;
}

bool WasmMemoryMeter::SetPermissions(void* address, size_t length, Permission permissions) {
  if (permissions != kReadWrite) return inner_->SetPermissions(address, length, permissions);
  TenantIsolate* owner = nullptr;
  size_t more = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = regions_.find(reinterpret_cast<uintptr_t>(address));
    if (it == regions_.end() || length <= it->second.committed) {
      return inner_->SetPermissions(address, length, permissions);
    }
    Region& region = it->second;
    owner = region.owner;
    more = length - region.committed;
    if (!owner->ChargeWasmMemory(more)) {
      // V8 collects garbage between its attempts: only the last refusal is final.
      if (++region.refusals >= kRefusalsBeforeKill) owner->Kill(LimitKind::kMemory);
      return false;
    }
    region.refusals = 0;
    region.committed = length;
  }
  if (inner_->SetPermissions(address, length, permissions)) return true;
  std::lock_guard lock(mutex_);
  auto it = regions_.find(reinterpret_cast<uintptr_t>(address));
  if (it != regions_.end()) {
    it->second.committed -= more;
    owner->ReleaseWasmMemory(more);
  }
  return false;
}

bool WasmMemoryMeter::FreePages(void* address, size_t length) {
  {
    std::lock_guard lock(mutex_);
    auto it = regions_.find(reinterpret_cast<uintptr_t>(address));
    if (it != regions_.end()) {
      it->second.owner->ReleaseWasmMemory(it->second.committed);
      regions_.erase(it);
    }
  }
  return inner_->FreePages(address, length);
}

void WasmMemoryMeter::Forget(const TenantIsolate* owner) {
  std::lock_guard lock(mutex_);
  for (auto it = regions_.begin(); it != regions_.end();) {
    it = it->second.owner == owner ? regions_.erase(it) : std::next(it);
  }
}

size_t WasmMemoryMeter::committed(const TenantIsolate* owner) const {
  std::lock_guard lock(mutex_);
  size_t total = 0;
  for (const auto& [start, region] : regions_) {
    if (region.owner == owner) total += region.committed;
  }
  return total;
}

}  // namespace atl::isolates
