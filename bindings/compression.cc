#include "bindings/compression.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "isolates/tenant_isolate.h"

namespace atl::bindings {
namespace {

// At most this much output per call: a small input may inflate to gigabytes (a gzip bomb), so
// output comes a chunk at a time, each allocated through the tenant's ArrayBuffer budget, and
// only as fast as the stream's reader asks for it (js/lazy/compression.js).
constexpr size_t kMaxOutput = 64 * 1024;

// One zlib stream. `pad` is the byte the handle's ArrayBuffer exposes; the rest stays hidden.
struct ZlibState {
  char pad = 0;
  z_stream z{};
  bool deflate = false;
  bool open = false;   // z holds zlib state that End() must free
  bool ended = false;  // decompression saw the end of the compressed data
  bool finished = false;  // compression wrote its end
  std::string input;   // the chunk being worked through; z.next_in points into it
  BrotliDecoderState* brotli = nullptr;  // format 3 (fetch()'s "br" bodies): z only holds the input
  bool sniffing = false;  // format 4, until its first two bytes came: zlib wrapper or raw
  std::string held;       // format 4: the bytes seen while sniffing

  void End() {
    if (!open) return;
    open = false;
    if (brotli != nullptr) BrotliDecoderDestroyInstance(brotli);
    else if (deflate) deflateEnd(&z);
    else if (!sniffing) inflateEnd(&z);
    brotli = nullptr;
  }
  ~ZlibState() { End(); }
};

// A zlib or brotli stream's memory (zlib's ~256 KB while compressing, a brotli window of up to
// 16 MB, as the stream says) is charged to the tenant's memory budget: a tenant cannot hold more
// of it than its memory_mb, however many streams it keeps. A stream the budget has no room for
// fails to start (zlib) or fails as corrupt data does (a brotli window).
struct ChargedHeader {
  size_t size;
  alignas(std::max_align_t) char data[1];
};

void* ChargedAlloc(void* opaque, size_t size) {
  auto* tenant = static_cast<isolates::TenantIsolate*>(opaque);
  size_t total = offsetof(ChargedHeader, data) + size;
  if (tenant != nullptr && !tenant->ChargeNativeMemory(total)) return nullptr;
  auto* header = static_cast<ChargedHeader*>(std::malloc(total));
  if (header == nullptr) {
    if (tenant != nullptr) tenant->ReleaseNativeMemory(total);
    return nullptr;
  }
  header->size = total;
  return header->data;
}

// Any thread (V8 may free the handle's backing store on its sweeper thread): the count is atomic.
void ChargedFree(void* opaque, void* address) {
  if (address == nullptr) return;
  auto* header = reinterpret_cast<ChargedHeader*>(static_cast<char*>(address) - offsetof(ChargedHeader, data));
  if (auto* tenant = static_cast<isolates::TenantIsolate*>(opaque)) tenant->ReleaseNativeMemory(header->size);
  std::free(header);
}

voidpf ZlibAlloc(voidpf opaque, uInt items, uInt size) {
  return ChargedAlloc(opaque, static_cast<size_t>(items) * size);
}
void ZlibFree(voidpf opaque, voidpf address) { ChargedFree(opaque, address); }

constexpr int kBrotliFormat = 3;
// HTTP's "deflate" coding as browsers take it: RFC 9110 means the zlib wrapper, but servers have
// long sent raw deflate under that name, and Chromium and Firefox decode both. Told apart by the
// first two bytes: a zlib header is CM = 8, a window of at most 32 KB, and a check that makes the
// pair a multiple of 31 (RFC 1950 2.2), which raw deflate's first bytes almost never are.
constexpr int kHttpDeflateFormat = 4;

bool StartsLikeZlib(const std::string& bytes) {
  auto cmf = static_cast<unsigned char>(bytes[0]);
  auto flg = static_cast<unsigned char>(bytes[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

int WindowBits(int format) {
  switch (format) {
    case 0: return 15 + 16;  // gzip wrapper
    case 1: return 15;       // zlib wrapper
    default: return -15;     // raw
  }
}

const char* InitFailure(int rc) {
  return rc == Z_MEM_ERROR ? "zlib could not be initialized: the tenant's memory_mb has no room for it"
                           : "zlib could not be initialized";
}

// The handle JS holds: an ArrayBuffer one byte long whose backing store owns `state`.
v8::Local<v8::ArrayBuffer> Handle(v8::Isolate* isolate, ZlibState* state) {
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      &state->pad, 1, [](void*, size_t, void* data) { delete static_cast<ZlibState*>(data); }, state);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

// Format 4 while sniffing: holds the input until two bytes came (or the body ended), then starts
// zlib with the wrapper they show and gives it all of them. False with `*error` set if zlib could
// not start; true otherwise (state->sniffing says whether it is still waiting).
bool Sniff(ZlibState* state, bool finish, std::string* error) {
  state->held.append(state->input, state->input.size() - state->z.avail_in, state->z.avail_in);
  state->z.avail_in = 0;
  if (state->held.size() < 2 && !finish) return true;
  state->sniffing = false;
  bool zlib = state->held.size() >= 2 && StartsLikeZlib(state->held);
  int rc = inflateInit2(&state->z, zlib ? 15 : -15);
  if (rc != Z_OK) {
    *error = InitFailure(rc);
    return false;
  }
  state->input = std::move(state->held);
  state->held.clear();
  state->z.next_in = reinterpret_cast<Bytef*>(state->input.data());
  state->z.avail_in = static_cast<uInt>(state->input.size());
  return true;
}

void ZlibNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int format = info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  auto state = std::make_unique<ZlibState>();
  state->deflate = !info[1]->IsTrue();
  auto* tenant = static_cast<isolates::TenantIsolate*>(isolate->GetData(isolates::TenantIsolate::kTenantIsolateSlot));
  state->z.zalloc = ZlibAlloc;
  state->z.zfree = ZlibFree;
  state->z.opaque = tenant;
  if (format == kBrotliFormat) {
    // Decompression only: fetch() decodes "br" bodies; no Web API compresses with it.
    state->brotli = state->deflate ? nullptr : BrotliDecoderCreateInstance(ChargedAlloc, ChargedFree, tenant);
    if (state->brotli == nullptr) {
      ThrowTypeError(isolate, "brotli could not be initialized");
      return;
    }
  }
  if (format == kHttpDeflateFormat && !state->deflate) {
    state->sniffing = true;  // inflateInit2 once the first bytes say which (Sniff)
    state->open = true;
    info.GetReturnValue().Set(Handle(isolate, state.release()));
    return;
  }
  int rc = state->brotli != nullptr ? Z_OK : state->deflate ? deflateInit2(&state->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WindowBits(format), 8,
                                         Z_DEFAULT_STRATEGY)
                          : inflateInit2(&state->z, WindowBits(format));
  if (rc != Z_OK) {
    ThrowTypeError(isolate, InitFailure(rc));
    return;
  }
  state->open = true;
  info.GetReturnValue().Set(Handle(isolate, state.release()));
}

ZlibState* StateOf(v8::Local<v8::Value> handle) {
  if (!handle->IsArrayBuffer()) return nullptr;
  std::shared_ptr<v8::BackingStore> store = handle.As<v8::ArrayBuffer>()->GetBackingStore();
  if (store->ByteLength() != 1 || store->Data() == nullptr) return nullptr;
  // The backing store was made by ZlibNew: its data is the first member of a ZlibState.
  return reinterpret_cast<ZlibState*>(store->Data());
}

// Brotli's Run: the same contract, over the same input fields of `z`.
std::string RunBrotli(ZlibState* state, bool finish, std::string* out) {
  out->resize(kMaxOutput);
  size_t avail_in = state->z.avail_in;
  const uint8_t* next_in = state->z.next_in;
  size_t avail_out = kMaxOutput;
  auto* next_out = reinterpret_cast<uint8_t*>(out->data());
  std::string error;
  while (avail_out > 0) {
    if (state->ended) {
      if (avail_in > 0) error = "DecompressionStream: data after the end of the compressed stream";
      break;
    }
    BrotliDecoderResult result =
        BrotliDecoderDecompressStream(state->brotli, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    if (result == BROTLI_DECODER_RESULT_SUCCESS) {
      state->ended = true;
    } else if (result != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
      if (result == BROTLI_DECODER_RESULT_ERROR) error = "DecompressionStream: the data is corrupt";
      break;  // or it wants more input
    }
  }
  state->z.avail_in = static_cast<uInt>(avail_in);
  state->z.next_in = const_cast<Bytef*>(next_in);
  out->resize(kMaxOutput - avail_out);
  if (error.empty() && finish && out->empty() && !state->ended) error = "DecompressionStream: the compressed data ends early";
  return error;
}

// Runs zlib over what is left of the current input (finishing when `finish`) until it has
// written kMaxOutput bytes to `out` or can write no more; an error message, or empty.
std::string Run(ZlibState* state, bool finish, std::string* out) {
  if (state->brotli != nullptr) return RunBrotli(state, finish, out);
  z_stream& z = state->z;
  out->resize(kMaxOutput);
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(kMaxOutput);
  std::string error;
  while (z.avail_out > 0) {
    if (!state->deflate && state->ended) {
      if (z.avail_in > 0) error = "DecompressionStream: data after the end of the compressed stream";
      break;
    }
    if (state->deflate && state->finished) break;
    uInt before_in = z.avail_in;
    uInt before_out = z.avail_out;
    int rc = state->deflate ? deflate(&z, finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      (state->deflate ? state->finished : state->ended) = true;
      continue;
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == before_in && z.avail_out == before_out)) break;  // wants input
    if (rc != Z_OK) {
      error = state->deflate ? "CompressionStream: zlib failed" : "DecompressionStream: the data is corrupt";
      break;
    }
  }
  out->resize(kMaxOutput - z.avail_out);
  if (error.empty() && finish && out->empty() && !state->deflate && !state->ended) {
    error = "DecompressionStream: the compressed data ends early";
  }
  return error;
}

void ZlibWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "zlibWrite");
  v8::Isolate* isolate = info.GetIsolate();
  ZlibState* state = StateOf(args[0]);
  if (state == nullptr || !state->open) {
    ThrowTypeError(isolate, "the zlib stream has ended");
    return;
  }
  if (args[1]->IsArrayBufferView()) {
    // A new chunk (js/lazy/compression.js): kept here while its output is taken a piece at a time.
    BufferBytes input;
    if (!args.Bytes(1, &input)) return;
    state->input.assign(reinterpret_cast<const char*>(input.data), input.size);
    state->z.next_in = reinterpret_cast<Bytef*>(state->input.data());
    state->z.avail_in = static_cast<uInt>(state->input.size());
  }
  bool finish = args.Flag(2);
  std::string out;
  std::string error;
  if (state->sniffing && !Sniff(state, finish, &error)) {
    state->open = false;  // nothing of zlib's to free
    ThrowTypeError(isolate, error);
    return;
  }
  if (!state->sniffing) error = Run(state, finish, &out);
  if (!error.empty() || (finish && out.empty())) state->End();
  if (!error.empty()) {
    ThrowTypeError(isolate, error);
    return;
  }
  if (out.empty()) {
    if (state->z.avail_in == 0) std::string().swap(state->input);
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
