#pragma once
// ArrayBuffers whose memory comes from the isolate's ArrayBuffer allocator, so that it counts
// against the tenant's budget (isolates/array_buffer_budget.h) and a refusal is an exception in
// that tenant only: v8::ArrayBuffer::NewBackingStore(isolate, n) aborts the whole process
// ("Fatal process OOM") when the allocator refuses, taking every other tenant with it.

#include <v8.h>

#include <cstddef>

namespace atl::bindings {

// `length` uninitialized bytes; empty, with a RangeError thrown, when the allocator refuses.
v8::MaybeLocal<v8::ArrayBuffer> NewArrayBuffer(v8::Isolate* isolate, size_t length);

}  // namespace atl::bindings
