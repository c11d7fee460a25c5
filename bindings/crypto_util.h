#pragma once
// What the crypto_*.cc files share: reading BufferSource arguments, making ArrayBuffers (through
// the isolate's allocator, so they count against the tenant's budget), the opaque key handle, and
// hash lookup by WebCrypto name.
//
// A key handle is a zero-length ArrayBuffer whose backing store's deleter owns a KeyMaterial:
// V8 frees the material when the handle is collected or the isolate is disposed, and tenant code
// cannot read anything from it even if it got hold of one (the JS half keeps it in a #private
// field). Natives accept only handles they made (a process-wide set of live KeyMaterials).

#include <openssl/evp.h>
#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bindings/buffers.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::bindings {
class NativeScope;
}

namespace atl::bindings::crypto {

// The bytes of an ArrayBuffer or ArrayBufferView argument, valid while `store` is held.
using Bytes = BufferBytes;  // bindings/buffers.h


// A new ArrayBuffer holding `bytes` (bindings/buffers.h: counted against the tenant's budget;
// empty, with a RangeError thrown, when the allocator refuses).
v8::MaybeLocal<v8::ArrayBuffer> NewBuffer(v8::Isolate* isolate, std::string_view bytes);

// Answers a failure of the operation (a string the JS half wraps in a DOMException).
void ReturnError(const v8::FunctionCallbackInfo<v8::Value>& info, const absl::Status& status);

// Answers `result` as a new ArrayBuffer, or its error as ReturnError does.
void ReturnBuffer(const v8::FunctionCallbackInfo<v8::Value>& info, const absl::StatusOr<std::string>& result);

// Key material held by a CryptoKey: `secret` for HMAC, AES and the KDFs, `pkey` for the rest.
struct KeyMaterial {
  std::string secret;
  EVP_PKEY* pkey = nullptr;
  bool is_private = false;

  KeyMaterial() = default;
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;
  ~KeyMaterial();
};

// A handle owning `material`.
v8::Local<v8::Value> NewKeyHandle(v8::Isolate* isolate, std::unique_ptr<KeyMaterial> material);
// Wraps `pkey` (owned from now on) in a handle.
v8::Local<v8::Value> NewKeyHandle(v8::Isolate* isolate, EVP_PKEY* pkey, bool is_private);

// The material behind a handle; null (and a TypeError thrown) if `value` is not one.
const KeyMaterial* GetKey(v8::Isolate* isolate, v8::Local<v8::Value> value);

// "SHA-1", "SHA-256", "SHA-384", "SHA-512" -> the digest, else null (and a TypeError thrown).
const EVP_MD* GetDigest(v8::Isolate* isolate, v8::Local<v8::Value> name);

// An error status with OpenSSL's last error appended; clears OpenSSL's error queue.
absl::Status OpenSslError(std::string_view what);

// Owning pointers for OpenSSL objects.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Each file's natives.
void InstallCryptoUtil(NativeScope& scope);
void InstallCryptoDigest(NativeScope& scope);
void InstallCryptoStream(NativeScope& scope);
void InstallCryptoAes(NativeScope& scope);
void InstallCryptoKeys(NativeScope& scope);
void InstallCryptoJwk(NativeScope& scope);
void InstallCryptoSign(NativeScope& scope);

}  // namespace atl::bindings::crypto
