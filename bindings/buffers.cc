#include "bindings/buffers.h"

#include <cstring>
#include <memory>

#include "isolates/v8_util.h"

namespace atl::bindings {

v8::MaybeLocal<v8::ArrayBuffer> NewArrayBuffer(v8::Isolate* isolate, size_t length) {
  if (length == 0) return v8::ArrayBuffer::New(isolate, 0);
  v8::ArrayBuffer::Allocator* allocator = isolate->GetArrayBufferAllocator();
  void* data = allocator->AllocateUninitialized(length);
  // Refused: buffers nobody holds may be what fills the budget. As V8 does for its own
  // allocations, collect and try again (twice: the second GC completes the first's frees); the
  // budget stops the isolate if it is still full (isolates/array_buffer_budget.h).
  for (int attempt = 0; data == nullptr && attempt < 2; ++attempt) {
    isolate->LowMemoryNotification();
    data = allocator->AllocateUninitialized(length);
  }
  if (data == nullptr) {
    isolate->ThrowException(v8::Exception::RangeError(isolates::NewString(isolate, "Array buffer allocation failed")));
    return {};
  }
  // Freed through the same allocator (V8 may call this on its sweeper thread; the budget's
  // counters are atomic).
  auto free = [](void* data, size_t length, void* allocator) {
    static_cast<v8::ArrayBuffer::Allocator*>(allocator)->Free(data, length);
  };
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(data, length, free, allocator);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

v8::MaybeLocal<v8::ArrayBuffer> NewArrayBufferCopy(v8::Isolate* isolate, std::string_view bytes) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!NewArrayBuffer(isolate, bytes.size()).ToLocal(&buffer)) return {};
  if (!bytes.empty()) std::memcpy(buffer->Data(), bytes.data(), bytes.size());
  return buffer;
}

bool GetBufferBytes(v8::Isolate* isolate, v8::Local<v8::Value> value, BufferBytes* out) {
  if (value->IsArrayBufferView()) {
    auto view = value.As<v8::ArrayBufferView>();
    out->store = view->Buffer()->GetBackingStore();
    out->size = view->ByteLength();
    out->data = out->size == 0 ? nullptr : static_cast<const uint8_t*>(out->store->Data()) + view->ByteOffset();
    return true;
  }
  if (value->IsArrayBuffer()) {
    out->store = value.As<v8::ArrayBuffer>()->GetBackingStore();
    out->size = out->store->ByteLength();
    out->data = out->size == 0 ? nullptr : static_cast<const uint8_t*>(out->store->Data());
    return true;
  }
  isolate->ThrowException(v8::Exception::TypeError(isolates::NewString(isolate, "expected an ArrayBuffer or ArrayBufferView")));
  return false;
}

}  // namespace atl::bindings
