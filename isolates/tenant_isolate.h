#pragma once
// One V8 isolate for one tenant: its own heap (sized from the tenant's limits), its own
// ArrayBuffer allocator, explicit microtasks, and the sandbox rules of SPEC §3 that are set per
// isolate. Dispose happens in the destructor.

#include <v8.h>

#include <memory>

#include "isolates/limits.h"

namespace atl::isolates {

class TenantIsolate {
 public:
  explicit TenantIsolate(const TenantLimits& limits);
  ~TenantIsolate();
  TenantIsolate(const TenantIsolate&) = delete;
  TenantIsolate& operator=(const TenantIsolate&) = delete;

  v8::Isolate* isolate() const { return isolate_; }

  // A new context with the sandbox rules of SPEC §3 applied: no code generation from strings
  // (eval, new Function -> EvalError), no SharedArrayBuffer.
  v8::Local<v8::Context> NewContext(v8::Local<v8::ObjectTemplate> global = {});

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

}  // namespace atl::isolates
