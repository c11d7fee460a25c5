// Natives of Cloudflare's WebCrypto extensions
// (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/): incremental digests for
// crypto.DigestStream, and crypto.subtle.timingSafeEqual. A digest's running state lives in an
// ArrayBuffer the JS object holds privately: OpenSSL's per-algorithm contexts (MD5_CTX,
// SHA256_CTX, ...) hold no pointers, so the garbage collector frees them with the buffer and no
// finalizer is needed.
#define OPENSSL_SUPPRESS_DEPRECATED  // the per-algorithm contexts: deprecated, not removed
#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>

#include "bindings/crypto_util.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings::crypto {
namespace {

enum class Algorithm : uint32_t { kMd5 = 1, kSha1, kSha256, kSha384, kSha512 };

// The layout of a digest state buffer.
struct HashState {
  Algorithm algorithm;
  uint32_t finished;
  union {
    MD5_CTX md5;
    SHA_CTX sha1;
    SHA256_CTX sha256;
    SHA512_CTX sha512;  // SHA-384 too
  } ctx;
};

// The state inside `value` if it is a state buffer, else null (and a TypeError is thrown).
HashState* StateOf(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (!value->IsArrayBuffer() || value.As<v8::ArrayBuffer>()->ByteLength() != sizeof(HashState)) {
    ThrowTypeError(isolate, "not a digest state");
    return nullptr;
  }
  return static_cast<HashState*>(value.As<v8::ArrayBuffer>()->GetBackingStore()->Data());
}

// native.cryptoDigestInit(hash) -> a digest state (ArrayBuffer); hash is a normalized name.
void DigestInit(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string name = isolates::ToUtf8(isolate, info[0]);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, sizeof(HashState));
  auto* state = static_cast<HashState*>(buffer->GetBackingStore()->Data());
  std::memset(state, 0, sizeof(HashState));
  if (name == "MD5") {
    state->algorithm = Algorithm::kMd5;
    MD5_Init(&state->ctx.md5);
  } else if (name == "SHA-1") {
    state->algorithm = Algorithm::kSha1;
    SHA1_Init(&state->ctx.sha1);
  } else if (name == "SHA-256") {
    state->algorithm = Algorithm::kSha256;
    SHA256_Init(&state->ctx.sha256);
  } else if (name == "SHA-384") {
    state->algorithm = Algorithm::kSha384;
    SHA384_Init(&state->ctx.sha512);
  } else if (name == "SHA-512") {
    state->algorithm = Algorithm::kSha512;
    SHA512_Init(&state->ctx.sha512);
  } else {
    ThrowTypeError(isolate, "unknown hash " + name);
    return;
  }
  info.GetReturnValue().Set(buffer);
}

// native.cryptoDigestUpdate(state, bytes): adds bytes to a state not yet finished.
void DigestUpdate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoDigestUpdate");
  HashState* state = StateOf(info.GetIsolate(), info[0]);
  Bytes data;
  if (state == nullptr || !args.Bytes(1, &data)) return;
  if (state->finished != 0) {
    ThrowTypeError(info.GetIsolate(), "the digest is finished");
    return;
  }
  switch (state->algorithm) {
    case Algorithm::kMd5: MD5_Update(&state->ctx.md5, data.data, data.size); break;
    case Algorithm::kSha1: SHA1_Update(&state->ctx.sha1, data.data, data.size); break;
    case Algorithm::kSha256: SHA256_Update(&state->ctx.sha256, data.data, data.size); break;
    case Algorithm::kSha384: SHA384_Update(&state->ctx.sha512, data.data, data.size); break;
    case Algorithm::kSha512: SHA512_Update(&state->ctx.sha512, data.data, data.size); break;
  }
}

// native.cryptoDigestFinal(state) -> ArrayBuffer: the digest; the state cannot be used again.
void DigestFinal(const v8::FunctionCallbackInfo<v8::Value>& info) {
  HashState* state = StateOf(info.GetIsolate(), info[0]);
  if (state == nullptr) return;
  if (state->finished != 0) {
    ThrowTypeError(info.GetIsolate(), "the digest is finished");
    return;
  }
  state->finished = 1;
  unsigned char out[SHA512_DIGEST_LENGTH];
  size_t length = 0;
  switch (state->algorithm) {
    case Algorithm::kMd5: MD5_Final(out, &state->ctx.md5); length = MD5_DIGEST_LENGTH; break;
    case Algorithm::kSha1: SHA1_Final(out, &state->ctx.sha1); length = SHA_DIGEST_LENGTH; break;
    case Algorithm::kSha256: SHA256_Final(out, &state->ctx.sha256); length = SHA256_DIGEST_LENGTH; break;
    case Algorithm::kSha384: SHA384_Final(out, &state->ctx.sha512); length = SHA384_DIGEST_LENGTH; break;
    case Algorithm::kSha512: SHA512_Final(out, &state->ctx.sha512); length = SHA512_DIGEST_LENGTH; break;
  }
  ReturnBuffer(info, std::string(reinterpret_cast<const char*>(out), length));
}

// native.cryptoTimingSafeEqual(a, b) -> boolean, in time independent of the contents (not of
// the length); a and b are buffer sources of the same length (checked by the caller).
void TimingSafeEqual(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoTimingSafeEqual");
  Bytes a, b;
  if (!args.Bytes(0, &a) || !args.Bytes(1, &b)) return;
  if (a.size != b.size) {
    ThrowTypeError(info.GetIsolate(), "timingSafeEqual: the inputs are of different lengths");
    return;
  }
  info.GetReturnValue().Set(a.size == 0 || CRYPTO_memcmp(a.data, b.data, a.size) == 0);
}

}  // namespace

void InstallCryptoStream(NativeScope& scope) {
  scope.SetFunction("cryptoDigestInit", DigestInit);
  scope.SetFunction("cryptoDigestUpdate", DigestUpdate);
  scope.SetFunction("cryptoDigestFinal", DigestFinal);
  scope.SetFunction("cryptoTimingSafeEqual", TimingSafeEqual);
}

}  // namespace atl::bindings::crypto
