#include "bindings/compression.h"

#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>

#include "bindings/buffers.h"
#include "bindings/native_scope.h"

namespace atl::bindings {
namespace {

constexpr size_t kOutputStep = 16 * 1024;

// One zlib stream. `pad` is the byte the handle's ArrayBuffer exposes; the rest stays hidden.
struct ZlibState {
  char pad = 0;
  z_stream z{};
  bool deflate = false;
  bool open = false;   // z holds zlib state that End() must free
  bool ended = false;  // decompression saw the end of the compressed data

  void End() {
    if (!open) return;
    open = false;
    if (deflate) deflateEnd(&z);
    else inflateEnd(&z);
  }
  ~ZlibState() { End(); }
};

int WindowBits(int format) {
  switch (format) {
    case 0: return 15 + 16;  // gzip wrapper
    case 1: return 15;       // zlib wrapper
    default: return -15;     // raw
  }
}

void ZlibNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int format = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  auto state = std::make_unique<ZlibState>();
  state->deflate = !info[1]->IsTrue();
  int rc = state->deflate ? deflateInit2(&state->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WindowBits(format), 8,
                                         Z_DEFAULT_STRATEGY)
                          : inflateInit2(&state->z, WindowBits(format));
  if (rc != Z_OK) {
    ThrowTypeError(isolate, "zlib could not be initialized");
    return;
  }
  state->open = true;
  ZlibState* raw = state.release();
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      &raw->pad, 1, [](void*, size_t, void* data) { delete static_cast<ZlibState*>(data); }, raw);
  info.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

ZlibState* StateOf(v8::Local<v8::Value> handle) {
  if (!handle->IsArrayBuffer()) return nullptr;
  std::shared_ptr<v8::BackingStore> store = handle.As<v8::ArrayBuffer>()->GetBackingStore();
  if (store->ByteLength() != 1 || store->Data() == nullptr) return nullptr;
  // The backing store was made by ZlibNew: its data is the first member of a ZlibState.
  return reinterpret_cast<ZlibState*>(store->Data());
}

// Runs zlib over `input` (finishing when `finish`), appending what it writes to `out`; an error
// message, or empty.
std::string Run(ZlibState* state, const char* input, size_t length, bool finish, std::string* out) {
  z_stream& z = state->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input));
  z.avail_in = static_cast<uInt>(length);
  for (;;) {
    if (!state->deflate && state->ended) {
      if (z.avail_in > 0) return "DecompressionStream: data after the end of the compressed stream";
      break;
    }
    size_t start = out->size();
    out->resize(start + kOutputStep);
    z.next_out = reinterpret_cast<Bytef*>(out->data() + start);
    z.avail_out = static_cast<uInt>(kOutputStep);
    int rc = state->deflate ? deflate(&z, finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&z, Z_NO_FLUSH);
    out->resize(start + (kOutputStep - z.avail_out));
    if (rc == Z_STREAM_END) {
      if (state->deflate) break;
      state->ended = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: zlib wants more input (or, finishing, had none left to give).
      if (z.avail_in == 0) break;
      continue;
    }
    if (rc != Z_OK) return state->deflate ? "CompressionStream: zlib failed" : "DecompressionStream: the data is corrupt";
    if (z.avail_in == 0 && z.avail_out != 0 && !finish) break;
  }
  if (finish && !state->deflate && !state->ended) return "DecompressionStream: the compressed data ends early";
  return "";
}

void ZlibWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  ZlibState* state = StateOf(info[0]);
  if (state == nullptr || !state->open) {
    ThrowTypeError(isolate, "the zlib stream has ended");
    return;
  }
  BufferBytes input;  // a chunk as a view (js/lazy/compression.js), or nothing when finishing
  if (info[1]->IsArrayBufferView() && !GetBufferBytes(isolate, info[1], &input)) return;
  const char* data = reinterpret_cast<const char*>(input.data);
  size_t length = input.size;
  bool finish = info[2]->IsTrue();
  std::string out;
  std::string error = Run(state, data, length, finish, &out);
  if (!error.empty() || finish) state->End();
  if (!error.empty()) {
    ThrowTypeError(isolate, error);
    return;
  }
  if (out.empty()) {
    info.GetReturnValue().SetNull();
    return;
  }
  v8::Local<v8::ArrayBuffer> buffer;
  if (!NewArrayBuffer(isolate, out.size()).ToLocal(&buffer)) return;
  std::memcpy(buffer->Data(), out.data(), out.size());
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, out.size()));
}

}  // namespace

void InstallCompression(NativeScope& scope) {
  scope.SetFunction("zlibNew", ZlibNew);
  scope.SetFunction("zlibWrite", ZlibWrite);
}

}  // namespace atl::bindings
