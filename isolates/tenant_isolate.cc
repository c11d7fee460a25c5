#include "isolates/tenant_isolate.h"

#include "isolates/platform.h"

namespace atl::isolates {

TenantIsolate::TenantIsolate(const TenantLimits& limits) {
  InitializeV8();
  allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, size_t{limits.memory_mb} << 20);
  isolate_ = v8::Isolate::New(params);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->SetAllowAtomicsWait(false);
}

TenantIsolate::~TenantIsolate() { isolate_->Dispose(); }

v8::Local<v8::Context> TenantIsolate::NewContext(v8::Local<v8::ObjectTemplate> global) {
  v8::EscapableHandleScope scope(isolate_);
  v8::Local<v8::Context> context = v8::Context::New(isolate_, nullptr, global);
  context->AllowCodeGenerationFromStrings(false);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> global_object = context->Global();
  auto name = v8::String::NewFromUtf8Literal(isolate_, "SharedArrayBuffer");
  (void)global_object->Delete(context, name);
  return scope.Escape(context);
}

}  // namespace atl::isolates
