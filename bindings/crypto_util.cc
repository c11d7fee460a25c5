#include "bindings/crypto_util.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>
#include <unordered_set>

#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings::crypto {
namespace {

// Every live KeyMaterial: a handle is accepted only if its pointer is here. Backing store
// deleters may run on V8's sweeper thread, hence the mutex.
struct LiveKeys {
  std::mutex mutex;
  std::unordered_set<const KeyMaterial*> keys;
};

LiveKeys& Live() {
  static LiveKeys* live = new LiveKeys();
  return *live;
}

void DeleteKeyMaterial(void* data, size_t, void*) {
  auto* material = static_cast<KeyMaterial*>(data);
  {
    LiveKeys& live = Live();
    std::lock_guard lock(live.mutex);
    live.keys.erase(material);
  }
  delete material;
}

// native.cryptoRandomFill(view) -> undefined, or the name of the DOMException
// https://w3c.github.io/webcrypto/#Crypto-method-getRandomValues throws: "TypeMismatchError"
// unless an integer typed array, "QuotaExceededError" past 65536 bytes.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> value = info[0];
  if (!value->IsArrayBufferView()) {
    ThrowTypeError(isolate, "getRandomValues: the argument is not an ArrayBufferView");
    return;
  }
  if (!(value->IsInt8Array() || value->IsUint8Array() || value->IsUint8ClampedArray() || value->IsInt16Array() ||
        value->IsUint16Array() || value->IsInt32Array() || value->IsUint32Array() || value->IsBigInt64Array() ||
        value->IsBigUint64Array())) {
    info.GetReturnValue().Set(isolates::NewString(isolate, "TypeMismatchError"));
    return;
  }
  Bytes bytes;
  if (!GetBufferBytes(isolate, value, &bytes)) return;
  if (bytes.size > 65536) {
    info.GetReturnValue().Set(isolates::NewString(isolate, "QuotaExceededError"));
    return;
  }
  if (bytes.size > 0 && RAND_bytes(const_cast<uint8_t*>(bytes.data), static_cast<int>(bytes.size)) != 1) {
    ERR_clear_error();
    ThrowTypeError(isolate, "random number generator failed");
  }
}

// native.cryptoCopy(value) -> a new ArrayBuffer with the bytes of a BufferSource, or null if
// `value` is not one (https://webidl.spec.whatwg.org/#dfn-get-buffer-source-copy).
void Copy(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> value = info[0];
  if (!value->IsArrayBuffer() && !value->IsArrayBufferView()) {
    info.GetReturnValue().SetNull();
    return;
  }
  Bytes bytes;
  if (!GetBufferBytes(info.GetIsolate(), value, &bytes)) return;
  v8::Local<v8::ArrayBuffer> copy;
  if (NewBuffer(info.GetIsolate(), bytes.view()).ToLocal(&copy)) info.GetReturnValue().Set(copy);
}

// native.cryptoRandomUUID() -> a version 4 UUID (https://www.rfc-editor.org/rfc/rfc9562#section-5.4).
void RandomUuid(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    ERR_clear_error();
    ThrowTypeError(info.GetIsolate(), "random number generator failed");
    return;
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  char out[36];
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 15];
  }
  info.GetReturnValue().Set(isolates::NewString(info.GetIsolate(), std::string_view(out, sizeof out)));
}

constexpr char kBase64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// native.cryptoBase64urlEncode(bytes) -> string without padding (RFC 4648 §5, as JWK uses it).
void Base64urlEncode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Bytes bytes;
  if (!GetBufferBytes(info.GetIsolate(), info[0], &bytes)) return;
  std::string out;
  out.reserve((bytes.size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size; i += 3) {
    uint32_t v = (uint32_t{bytes.data[i]} << 16) | (uint32_t{bytes.data[i + 1]} << 8) | bytes.data[i + 2];
    out += kBase64url[v >> 18];
    out += kBase64url[(v >> 12) & 63];
    out += kBase64url[(v >> 6) & 63];
    out += kBase64url[v & 63];
  }
  if (bytes.size - i == 1) {
    uint32_t v = uint32_t{bytes.data[i]} << 16;
    out += kBase64url[v >> 18];
    out += kBase64url[(v >> 12) & 63];
  } else if (bytes.size - i == 2) {
    uint32_t v = (uint32_t{bytes.data[i]} << 16) | (uint32_t{bytes.data[i + 1]} << 8);
    out += kBase64url[v >> 18];
    out += kBase64url[(v >> 12) & 63];
    out += kBase64url[(v >> 6) & 63];
  }
  info.GetReturnValue().Set(isolates::NewString(info.GetIsolate(), out));
}

// native.cryptoBase64urlDecode(string) -> ArrayBuffer, or null if it is not base64url (no
// padding, no other characters).
void Base64urlDecode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) {
    info.GetReturnValue().SetNull();
    return;
  }
  std::string text = isolates::ToUtf8(isolate, info[0]);
  if (text.size() % 4 == 1) {
    info.GetReturnValue().SetNull();
    return;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else {
      info.GetReturnValue().SetNull();
      return;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  v8::Local<v8::ArrayBuffer> buffer;
  if (NewBuffer(isolate, out).ToLocal(&buffer)) info.GetReturnValue().Set(buffer);
  OPENSSL_cleanse(out.data(), out.size());
}

}  // namespace

v8::MaybeLocal<v8::ArrayBuffer> NewBuffer(v8::Isolate* isolate, std::string_view bytes) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!NewArrayBuffer(isolate, bytes.size()).ToLocal(&buffer)) return {};
  if (!bytes.empty()) std::memcpy(buffer->Data(), bytes.data(), bytes.size());
  return buffer;
}

void ReturnError(const v8::FunctionCallbackInfo<v8::Value>& info, const absl::Status& status) {
  info.GetReturnValue().Set(isolates::NewString(info.GetIsolate(), base::ToStd(status.message())));
}

void ReturnBuffer(const v8::FunctionCallbackInfo<v8::Value>& info, const absl::StatusOr<std::string>& result) {
  if (!result.ok()) {
    ReturnError(info, result.status());
    return;
  }
  v8::Local<v8::ArrayBuffer> buffer;
  if (NewBuffer(info.GetIsolate(), *result).ToLocal(&buffer)) info.GetReturnValue().Set(buffer);
}

KeyMaterial::~KeyMaterial() {
  OPENSSL_cleanse(secret.data(), secret.size());
  EVP_PKEY_free(pkey);
}

v8::Local<v8::Value> NewKeyHandle(v8::Isolate* isolate, std::unique_ptr<KeyMaterial> material) {
  KeyMaterial* raw = material.release();
  {
    LiveKeys& live = Live();
    std::lock_guard lock(live.mutex);
    live.keys.insert(raw);
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(raw, 0, DeleteKeyMaterial, nullptr);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

v8::Local<v8::Value> NewKeyHandle(v8::Isolate* isolate, EVP_PKEY* pkey, bool is_private) {
  auto material = std::make_unique<KeyMaterial>();
  material->pkey = pkey;
  material->is_private = is_private;
  return NewKeyHandle(isolate, std::move(material));
}

const KeyMaterial* GetKey(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value->IsArrayBuffer()) {
    const void* data = value.As<v8::ArrayBuffer>()->GetBackingStore()->Data();
    LiveKeys& live = Live();
    std::lock_guard lock(live.mutex);
    auto it = live.keys.find(static_cast<const KeyMaterial*>(data));
    if (it != live.keys.end()) return *it;
  }
  ThrowTypeError(isolate, "expected a key handle");
  return nullptr;
}

const EVP_MD* GetDigest(v8::Isolate* isolate, v8::Local<v8::Value> name) {
  std::string text = isolates::ToUtf8(isolate, name);
  if (text == "SHA-1") return EVP_sha1();
  if (text == "SHA-256") return EVP_sha256();
  if (text == "SHA-384") return EVP_sha384();
  if (text == "SHA-512") return EVP_sha512();
  // Not a WebCrypto algorithm (normalization refuses it before any native): node:crypto's
  // createHash("md5"), which Workers has too.
  if (text == "MD5") return EVP_md5();
  ThrowTypeError(isolate, base::StrCat("unknown hash ", text));
  return nullptr;
}

absl::Status OpenSslError(std::string_view what) {
  unsigned long code = ERR_peek_last_error();
  std::string message(what);
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message = base::StrCat(message, " (", buffer, ")");
  }
  ERR_clear_error();
  return absl::InvalidArgumentError(message);
}

void InstallCryptoUtil(NativeScope& scope) {
  scope.SetFunction("cryptoRandomFill", RandomFill);
  scope.SetFunction("cryptoRandomUUID", RandomUuid);
  scope.SetFunction("cryptoCopy", Copy);
  scope.SetFunction("cryptoBase64urlEncode", Base64urlEncode);
  scope.SetFunction("cryptoBase64urlDecode", Base64urlDecode);
}

}  // namespace atl::bindings::crypto
