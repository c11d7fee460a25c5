// JWK (https://www.rfc-editor.org/rfc/rfc7517, https://www.rfc-editor.org/rfc/rfc7518#section-6)
// key members in and out of handles, as bytes: the JS half does base64url and the checks on kty,
// alg, use, key_ops and ext.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings/crypto_keys.h"
#include "bindings/crypto_util.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings::crypto {
namespace {

// The optional byte strings of a JWK's members, in the order cryptoKeyImportJwk documents.
bool GetParts(v8::Isolate* isolate, v8::Local<v8::Value> value, std::vector<std::optional<Bytes>>* parts) {
  if (!value->IsArray()) {
    ThrowTypeError(isolate, "expected an array");
    return false;
  }
  auto array = value.As<v8::Array>();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  for (uint32_t i = 0; i < array->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!array->Get(context, i).ToLocal(&item)) return false;
    if (item->IsUndefined()) {
      parts->push_back(std::nullopt);
      continue;
    }
    Bytes bytes;
    if (!GetBufferBytes(isolate, item, &bytes)) return false;
    parts->push_back(std::move(bytes));
  }
  return true;
}

absl::StatusOr<PkeyPtr> ImportJwk(std::string_view kind, std::string_view curve_name,
                                  const std::vector<std::optional<Bytes>>& parts, bool* is_private) {
  auto part = [&](size_t i) -> const Bytes* { return i < parts.size() && parts[i] ? &*parts[i] : nullptr; };
  if (kind == "EC") {
    const Curve* curve = CurveByWebName(curve_name);
    const Bytes *x = part(0), *y = part(1), *d = part(2);
    if (!curve || !x || !y || x->size != curve->size || y->size != curve->size || (d && d->size != curve->size)) {
      return absl::InvalidArgumentError("invalid EC JWK");
    }
    std::string point = "\x04";
    point.append(x->view());
    point.append(y->view());
    std::string_view dv = d ? d->view() : std::string_view();
    *is_private = d != nullptr;
    return EcFromPoint(*curve, point, d ? &dv : nullptr);
  }
  if (kind == "RSA") {
    static constexpr const char* kNames[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                             OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                                             OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                                             OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    *is_private = part(2) != nullptr;
    size_t count = *is_private ? 8 : 2;
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    std::vector<BnPtr> numbers;
    for (size_t i = 0; i < count; ++i) {
      if (!part(i) || part(i)->size == 0) return absl::InvalidArgumentError("invalid RSA JWK: a member is missing");
      numbers.push_back(Bn(part(i)->view()));
      if (!bld || !numbers.back() || OSSL_PARAM_BLD_push_BN(bld.get(), kNames[i], numbers.back().get()) != 1) {
        return OpenSslError("invalid RSA JWK");
      }
    }
    return FromData("RSA", bld.get(), *is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
  }
  if (const char* type = OkpType(kind)) {
    const Bytes *x = part(0), *d = part(1);
    if (!x || x->size != 32 || (d && d->size != 32)) return absl::InvalidArgumentError("invalid OKP JWK");
    *is_private = d != nullptr;
    PkeyPtr key(d ? EVP_PKEY_new_raw_private_key_ex(nullptr, type, nullptr, d->data, d->size)
                  : EVP_PKEY_new_raw_public_key_ex(nullptr, type, nullptr, x->data, x->size));
    if (!key) return OpenSslError("invalid OKP JWK");
    if (d) {
      unsigned char pub[32];
      size_t length = sizeof pub;
      if (EVP_PKEY_get_raw_public_key(key.get(), pub, &length) != 1 || length != 32 ||
          CRYPTO_memcmp(pub, x->data, 32) != 0) {
        return absl::InvalidArgumentError("invalid OKP JWK: x does not match d");
      }
    }
    return key;
  }
  return absl::InvalidArgumentError("unsupported key type");
}

// native.cryptoKeyImportJwk(kind, curve, parts) -> handle or error string. parts (ArrayBuffers,
// undefined when absent): "EC" [x, y, d], "RSA" [n, e, d, p, q, dp, dq, qi], "Ed25519" and
// "X25519" [x, d].
void KeyImportJwk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::vector<std::optional<Bytes>> parts;
  if (!GetParts(isolate, info[2], &parts)) return;
  bool is_private = false;
  absl::StatusOr<PkeyPtr> key =
      ImportJwk(isolates::ToUtf8(isolate, info[0]), isolates::ToUtf8(isolate, info[1]), parts, &is_private);
  if (!key.ok()) return ReturnError(info, key.status());
  info.GetReturnValue().Set(NewKeyHandle(isolate, key->release(), is_private));
}

// native.cryptoKeyExportJwk(handle) -> the parts cryptoKeyImportJwk takes (private members only
// for a private key), or an error string.
void KeyExportJwk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, info[0]);
  if (key == nullptr) return;
  EVP_PKEY* pkey = key->pkey;
  std::vector<std::optional<std::string>> parts;
  if (pkey != nullptr && EVP_PKEY_is_a(pkey, "EC")) {
    const Curve* curve = CurveOf(pkey);
    if (!curve) return ReturnError(info, absl::InvalidArgumentError("unsupported curve"));
    parts.push_back(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, curve->size));
    parts.push_back(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, curve->size));
    if (key->is_private) parts.push_back(BnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY, curve->size));
  } else if (pkey != nullptr && EVP_PKEY_is_a(pkey, "RSA")) {
    static constexpr const char* kNames[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                             OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                                             OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                                             OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    for (size_t i = 0; i < (key->is_private ? 8u : 2u); ++i) parts.push_back(BnParam(pkey, kNames[i], 0));
  } else if (pkey != nullptr) {
    unsigned char raw[64];
    size_t length = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &length) == 1) parts.emplace_back(std::string(reinterpret_cast<char*>(raw), length));
    if (key->is_private) {
      length = sizeof raw;
      if (EVP_PKEY_get_raw_private_key(pkey, raw, &length) == 1) {
        parts.emplace_back(std::string(reinterpret_cast<char*>(raw), length));
      } else {
        parts.emplace_back();
      }
      OPENSSL_cleanse(raw, sizeof raw);
    }
  }
  std::vector<v8::Local<v8::Value>> values;
  for (std::optional<std::string>& part : parts) {
    if (!part) return ReturnError(info, OpenSslError("export failed"));
    v8::Local<v8::ArrayBuffer> buffer;
    bool made = NewBuffer(isolate, *part).ToLocal(&buffer);
    OPENSSL_cleanse(part->data(), part->size());
    if (!made) return;
    values.push_back(buffer);
  }
  if (values.empty()) return ReturnError(info, absl::InvalidArgumentError("export failed"));
  info.GetReturnValue().Set(v8::Array::New(isolate, values.data(), values.size()));
}

}  // namespace

void InstallCryptoJwk(NativeScope& scope) {
  scope.SetFunction("cryptoKeyImportJwk", KeyImportJwk);
  scope.SetFunction("cryptoKeyExportJwk", KeyExportJwk);
}

}  // namespace atl::bindings::crypto
