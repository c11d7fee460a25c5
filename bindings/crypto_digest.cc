// Hash-based operations: digest (https://w3c.github.io/webcrypto/#sha), HMAC (#hmac), PBKDF2
// (#pbkdf2) and HKDF (#hkdf).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <string>

#include "bindings/crypto_util.h"
#include "bindings/native_args.h"
#include "isolates/limits.h"
#include "bindings/native_scope.h"

namespace atl::bindings::crypto {
namespace {

constexpr isolates::RuntimeCaps kCaps;

absl::StatusOr<std::string> Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (key.size() > INT_MAX ||
      HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &length) == nullptr) {
    return OpenSslError("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

// RFC 5869, on HMAC: Extract with `salt` (an empty salt is HashLen zeros, as the RFC says), then
// Expand to `length` bytes.
absl::StatusOr<std::string> Hkdf(const EVP_MD* md, std::string_view key, std::string_view salt,
                                 std::string_view info, size_t length) {
  size_t hash_length = static_cast<size_t>(EVP_MD_get_size(md));
  if (length > 255 * hash_length) return absl::InvalidArgumentError("HKDF: length is more than 255 hash lengths");
  std::string zeros(hash_length, '\0');
  absl::StatusOr<std::string> prk = Hmac(md, salt.empty() ? std::string_view(zeros) : salt, key);
  if (!prk.ok()) return prk.status();
  std::string out, block, input;
  out.reserve(length + hash_length);
  for (uint8_t counter = 1; out.size() < length; ++counter) {
    input.assign(block);
    input.append(info);
    input.push_back(static_cast<char>(counter));
    absl::StatusOr<std::string> next = Hmac(md, *prk, input);
    if (!next.ok()) return next.status();
    block = std::move(*next);
    out += block;
  }
  OPENSSL_cleanse(prk->data(), prk->size());
  OPENSSL_cleanse(block.data(), block.size());
  out.resize(length);
  return out;
}

// native.cryptoDigest(hash, data) -> ArrayBuffer
void Digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoDigest");
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* md = GetDigest(isolate, args[0]);
  Bytes data;
  if (md == nullptr || !args.Bytes(1, &data)) return;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data, data.size, out, &length, md, nullptr) != 1) {
    ReturnError(info, OpenSslError("digest failed"));
    return;
  }
  ReturnBuffer(info, std::string(reinterpret_cast<const char*>(out), length));
}

// native.cryptoHmac(hash, key, data) -> ArrayBuffer
void HmacSign(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoHmac");
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* md = GetDigest(isolate, args[0]);
  if (md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes data;
  if (key == nullptr || !args.Bytes(2, &data)) return;
  ReturnBuffer(info, Hmac(md, key->secret, data.view()));
}

// native.cryptoHmacVerify(hash, key, data, signature) -> boolean (constant-time comparison)
void HmacVerify(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoHmacVerify");
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* md = GetDigest(isolate, args[0]);
  if (md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes data, signature;
  if (key == nullptr || !args.Bytes(2, &data) || !args.Bytes(3, &signature)) return;
  absl::StatusOr<std::string> mac = Hmac(md, key->secret, data.view());
  bool ok = mac.ok() && mac->size() == signature.size &&
            CRYPTO_memcmp(mac->data(), signature.data, signature.size) == 0;
  info.GetReturnValue().Set(ok);
}

// native.cryptoPbkdf2(hash, key, salt, iterations, bytes) -> ArrayBuffer or error string
void Pbkdf2(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoPbkdf2");
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* md = GetDigest(isolate, args[0]);
  if (md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes salt;
  if (key == nullptr || !args.Bytes(2, &salt)) return;
  double iterations = args.NumberOr(3, 0);
  double length = args.NumberOr(4, 0);
  if (iterations < 1 || iterations > kCaps.max_pbkdf2_iterations) {
    ReturnError(info, absl::InvalidArgumentError("PBKDF2: iteration counts above 100000 are not supported"));
    return;
  }
  if (length < 0 || length > INT_MAX || key->secret.size() > INT_MAX || salt.size > INT_MAX) {
    ReturnError(info, absl::InvalidArgumentError("PBKDF2: length too large"));
    return;
  }
  std::string out(static_cast<size_t>(length), '\0');
  if (PKCS5_PBKDF2_HMAC(key->secret.data(), static_cast<int>(key->secret.size()), salt.data,
                        static_cast<int>(salt.size), static_cast<int>(iterations), md, static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    ReturnError(info, OpenSslError("PBKDF2 failed"));
    return;
  }
  ReturnBuffer(info, out);
  OPENSSL_cleanse(out.data(), out.size());
}

// native.cryptoHkdf(hash, key, salt, info, bytes) -> ArrayBuffer or error string
void HkdfDerive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoHkdf");
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* md = GetDigest(isolate, args[0]);
  if (md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes salt, extra;
  if (key == nullptr || !args.Bytes(2, &salt) || !args.Bytes(3, &extra)) return;
  double length = args.NumberOr(4, 0);
  if (length < 0 || length > 255.0 * EVP_MAX_MD_SIZE) {
    ReturnError(info, absl::InvalidArgumentError("HKDF: length is more than 255 hash lengths"));
    return;
  }
  absl::StatusOr<std::string> out = Hkdf(md, key->secret, salt.view(), extra.view(), static_cast<size_t>(length));
  ReturnBuffer(info, out);
  if (out.ok()) OPENSSL_cleanse(out->data(), out->size());
}

}  // namespace

void InstallCryptoDigest(NativeScope& scope) {
  scope.SetFunction("cryptoDigest", Digest);
  scope.SetFunction("cryptoHmac", HmacSign);
  scope.SetFunction("cryptoHmacVerify", HmacVerify);
  scope.SetFunction("cryptoPbkdf2", Pbkdf2);
  scope.SetFunction("cryptoHkdf", HkdfDerive);
}

}  // namespace atl::bindings::crypto
