#pragma once
// ArrayBuffers for the natives. New ones take their memory from the isolate's ArrayBuffer
// allocator, so that it counts against the tenant's budget (isolates/array_buffer_budget.h) and
// a refusal is an exception in that tenant only: v8::ArrayBuffer::NewBackingStore(isolate, n)
// aborts the whole process ("Fatal process OOM") when the allocator refuses, taking every other
// tenant with it. And the bytes of a BufferSource a native is given.

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace atl::bindings {

// `length` uninitialized bytes; empty, with a RangeError thrown, when the allocator refuses.
v8::MaybeLocal<v8::ArrayBuffer> NewArrayBuffer(v8::Isolate* isolate, size_t length);
// An ArrayBuffer holding a copy of `bytes`; empty, with a RangeError thrown, when refused.
v8::MaybeLocal<v8::ArrayBuffer> NewArrayBufferCopy(v8::Isolate* isolate, std::string_view bytes);

// The bytes of an ArrayBuffer or ArrayBufferView (https://webidl.spec.whatwg.org/#BufferSource),
// with the backing store that keeps them alive. `data` is null when there are none.
struct BufferBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<v8::BackingStore> store;

  // Never a null pointer, even for no bytes (SQLite, say, binds a null pointer as NULL).
  std::string_view view() const {
    return data == nullptr ? std::string_view("", 0) : std::string_view(reinterpret_cast<const char*>(data), size);
  }
  std::span<const uint8_t> span() const { return {data, size}; }
};

// False (and a TypeError thrown) if `value` is neither an ArrayBuffer nor an ArrayBufferView.
bool GetBufferBytes(v8::Isolate* isolate, v8::Local<v8::Value> value, BufferBytes* out);

}  // namespace atl::bindings
