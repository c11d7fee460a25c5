// Key material in and out of the handles: generation, import and export in the formats of
// https://w3c.github.io/webcrypto/#dfn-KeyFormat: raw and DER (spki, pkcs8) here, JWK members in
// crypto_jwk.cc. Which algorithm may use a key is decided by the JS half from cryptoKeyInfo.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "bindings/background_work.h"
#include "bindings/crypto_keys.h"
#include "bindings/crypto_util.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings::crypto {
namespace {

// Larger RSA keys take seconds to generate in one call the CPU watchdog cannot interrupt.
constexpr uint32_t kMaxRsaGenerateBits = 4096;

constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

// A key holding only the public half of `pkey`.
PkeyPtr PublicOnly(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(pkey, &der);
  if (length <= 0) return nullptr;
  const unsigned char* p = der;
  PkeyPtr out(d2i_PUBKEY(nullptr, &p, length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

const Curve* CurveByWebName(std::string_view name) {
  for (const Curve& c : kCurves) if (c.web == name) return &c;
  return nullptr;
}

const Curve* CurveOf(const EVP_PKEY* pkey) {
  char name[64];
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &length) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  for (const Curve& c : kCurves) if (c.openssl == std::string_view(name, length)) return &c;
  return nullptr;
}

const char* OkpType(std::string_view kind) {
  if (kind == "Ed25519") return "ED25519";
  if (kind == "X25519") return "X25519";
  return nullptr;
}

BnPtr Bn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

std::optional<std::string> BnParam(const EVP_PKEY* pkey, const char* name, size_t pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  BnPtr bn(raw);
  size_t size = pad != 0 ? pad : static_cast<size_t>(BN_num_bytes(bn.get()));
  std::string out(size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) < 0) {
    return std::nullopt;
  }
  return out;
}

absl::StatusOr<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, int selection) {
  struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  };
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, selection, params.get()) != 1) {
    return OpenSslError("invalid key data");
  }
  PkeyPtr key(pkey);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1 ||
      (selection == EVP_PKEY_KEYPAIR && std::string_view(type) == "EC" && EVP_PKEY_pairwise_check(check.get()) != 1)) {
    return OpenSslError("invalid key data");
  }
  return key;
}

absl::StatusOr<PkeyPtr> EcFromPoint(const Curve& curve, std::string_view point, const std::string_view* d) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  BnPtr priv = d ? Bn(*d) : nullptr;
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.openssl.data(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      (d && (!priv || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1))) {
    return OpenSslError("invalid key data");
  }
  return FromData("EC", bld.get(), d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
}

namespace {

absl::StatusOr<PkeyPtr> ImportDer(std::string_view format, std::string_view kind, std::string_view curve_name,
                                  const Bytes& data, bool* is_private) {
  const unsigned char* p = data.data;
  const unsigned char* end = data.data + data.size;
  if (format == "spki") {
    PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(data.size)));
    if (!key || p != end) return OpenSslError("invalid SubjectPublicKeyInfo");
    *is_private = false;
    return key;
  }
  if (format == "pkcs8") {
    PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(data.size));
    PkeyPtr key(info != nullptr && p == end ? EVP_PKCS82PKEY(info) : nullptr);
    PKCS8_PRIV_KEY_INFO_free(info);
    if (!key) return OpenSslError("invalid PrivateKeyInfo");
    *is_private = true;
    return key;
  }
  if (format == "raw") {
    *is_private = false;
    if (kind == "EC") {
      const Curve* curve = CurveByWebName(curve_name);
      if (!curve) return absl::InvalidArgumentError("unsupported curve");
      return EcFromPoint(*curve, data.view(), nullptr);
    }
    if (const char* type = OkpType(kind)) {
      PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, type, nullptr, data.data, data.size));
      if (!key) return OpenSslError("invalid raw public key");
      return key;
    }
  }
  return absl::InvalidArgumentError("unsupported key format");
}

// native.cryptoSecretImport(bytes) -> handle
void SecretImport(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoSecretImport");
  Bytes bytes;
  if (!args.Bytes(0, &bytes)) return;
  auto material = std::make_unique<KeyMaterial>();
  material->secret.assign(bytes.view());
  info.GetReturnValue().Set(NewKeyHandle(info.GetIsolate(), std::move(material)));
}

// native.cryptoSecretGenerate(bytes) -> handle of that many random bytes
void SecretGenerate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoSecretGenerate");
  uint32_t length = args.ToUint32Or(0, 0);
  auto material = std::make_unique<KeyMaterial>();
  material->secret.resize(length);
  if (length > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(material->secret.data()), static_cast<int>(length)) != 1) {
    ReturnError(info, OpenSslError("random number generator failed"));
    return;
  }
  info.GetReturnValue().Set(NewKeyHandle(info.GetIsolate(), std::move(material)));
}

// native.cryptoKeyGenerate(kind, curve) -> [private, public] or error string. kind "EC" (curve
// "P-256" ...), "Ed25519", "X25519" (milliseconds at most). RSA: cryptoRsaGenerate below.
void KeyGenerate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoKeyGenerate");
  v8::Isolate* isolate = info.GetIsolate();
  std::string kind = args.Text(0);
  EVP_PKEY* generated = nullptr;
  if (kind == "EC") {
    const Curve* curve = CurveByWebName(args.Text(1));
    if (!curve) return ReturnError(info, absl::InvalidArgumentError("unsupported curve"));
    generated = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve->openssl.data());
  } else if (const char* type = OkpType(kind)) {
    generated = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  PkeyPtr key(generated);
  PkeyPtr pub = key ? PublicOnly(key.get()) : nullptr;
  if (!pub) return ReturnError(info, OpenSslError("key generation failed"));
  v8::Local<v8::Value> pair[] = {NewKeyHandle(isolate, key.release(), true), NewKeyHandle(isolate, pub.release(), false)};
  info.GetReturnValue().Set(v8::Array::New(isolate, pair, 2));
}

// An RSA key pair generated on the background thread (seconds for 4096 bits).
class RsaKeygen : public BackgroundJob {
 public:
  RsaKeygen(uint32_t bits, BnPtr exponent) : bits_(bits), exponent_(std::move(exponent)) {}
  void Run() override {
    EVP_PKEY* generated = nullptr;
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits_)) != 1 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), exponent_.get()) != 1 ||
        EVP_PKEY_keygen(ctx.get(), &generated) != 1) {
      EVP_PKEY_free(generated);
      generated = nullptr;
    }
    key_.reset(generated);
    pub_ = key_ ? PublicOnly(key_.get()) : nullptr;
    if (!pub_) error_ = base::ToStd(OpenSslError("key generation failed").message());  // this thread's errors
  }
  v8::Local<v8::Value> Finish(v8::Isolate* isolate) override {
    if (!pub_) return isolates::NewString(isolate, error_);
    v8::Local<v8::Value> pair[] = {NewKeyHandle(isolate, key_.release(), true), NewKeyHandle(isolate, pub_.release(), false)};
    return v8::Array::New(isolate, pair, 2);
  }

 private:
  uint32_t bits_;
  BnPtr exponent_;
  PkeyPtr key_;
  PkeyPtr pub_;
  std::string error_;
};

// native.cryptoRsaGenerate(bits, publicExponent) -> a promise of [private, public] or an error
// string; the key is made on the background thread (bindings/background_work.h).
void RsaGenerate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoRsaGenerate");
  v8::Isolate* isolate = info.GetIsolate();
  uint32_t bits = args.ToUint32Or(0, 0);
  Bytes exponent;
  if (!args.Bytes(1, &exponent)) return;
  BnPtr e = Bn(exponent.view());
  if (bits < 1024 || bits > kMaxRsaGenerateBits || bits % 8 != 0 || !e ||
      !(BN_is_word(e.get(), 3) || BN_is_word(e.get(), 65537))) {
    return ReturnError(info, absl::InvalidArgumentError(
                                 "RSA: modulusLength must be a multiple of 8 from 1024 to 4096, "
                                 "publicExponent 3 or 65537"));
  }
  v8::Local<v8::Promise> promise;
  if (RunInBackground(isolate, std::make_unique<RsaKeygen>(bits, std::move(e))).ToLocal(&promise)) {
    info.GetReturnValue().Set(promise);
  }
}

// native.cryptoKeyImport(format, kind, data, curve) -> handle or error string. format "spki"
// or "pkcs8" (any key type: check cryptoKeyInfo), or "raw" (kind "EC" with curve, "Ed25519",
// "X25519").
void KeyImport(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoKeyImport");
  v8::Isolate* isolate = info.GetIsolate();
  Bytes data;
  if (!args.Bytes(2, &data)) return;
  bool is_private = false;
  absl::StatusOr<PkeyPtr> key = ImportDer(args.Text(0), args.Text(1),
                                          args.Text(3), data, &is_private);
  if (!key.ok()) return ReturnError(info, key.status());
  info.GetReturnValue().Set(NewKeyHandle(isolate, key->release(), is_private));
}

// native.cryptoKeyInfo(handle) -> [kind, isPrivate, curve or modulus bits, publicExponent].
// kind: "secret" (bits: the length), "EC" (curve "P-256" ..., or "" for another curve), "RSA",
// "Ed25519", "X25519", or "other".
void KeyInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoKeyInfo");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[0]);
  if (key == nullptr) return;
  v8::Local<v8::Value> out[4] = {v8::Undefined(isolate), v8::Boolean::New(isolate, key->is_private),
                                 v8::Undefined(isolate), v8::Undefined(isolate)};
  EVP_PKEY* pkey = key->pkey;
  if (pkey == nullptr) {
    out[0] = isolates::NewString(isolate, "secret");
    out[2] = v8::Number::New(isolate, static_cast<double>(key->secret.size()) * 8);
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    const Curve* curve = CurveOf(pkey);
    out[0] = isolates::NewString(isolate, "EC");
    out[2] = isolates::NewString(isolate, curve ? curve->web : "");
  } else if (EVP_PKEY_is_a(pkey, "RSA")) {
    out[0] = isolates::NewString(isolate, "RSA");
    out[2] = v8::Number::New(isolate, EVP_PKEY_get_bits(pkey));
    std::optional<std::string> e = BnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
    v8::Local<v8::ArrayBuffer> exponent;
    if (e && !NewBuffer(isolate, *e).ToLocal(&exponent)) return;
    if (e) out[3] = exponent;
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    out[0] = isolates::NewString(isolate, "Ed25519");
  } else if (EVP_PKEY_is_a(pkey, "X25519")) {
    out[0] = isolates::NewString(isolate, "X25519");
  } else {
    out[0] = isolates::NewString(isolate, "other");
  }
  info.GetReturnValue().Set(v8::Array::New(isolate, out, 4));
}

absl::StatusOr<std::string> ExportDer(const KeyMaterial& key, std::string_view format) {
  if (format == "raw") {
    if (key.pkey == nullptr) return key.secret;
    if (EVP_PKEY_is_a(key.pkey, "EC")) {
      unsigned char point[1 + 2 * 66];
      size_t length = 0;
      if (EVP_PKEY_get_octet_string_param(key.pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                          &length) != 1) {
        return OpenSslError("export failed");
      }
      return std::string(reinterpret_cast<char*>(point), length);
    }
    unsigned char raw[64];
    size_t length = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key.pkey, raw, &length) != 1) return OpenSslError("export failed");
    return std::string(reinterpret_cast<char*>(raw), length);
  }
  if (key.pkey == nullptr) return absl::InvalidArgumentError("a secret key has no such format");
  unsigned char* der = nullptr;
  int length = -1;
  if (format == "spki") {
    length = i2d_PUBKEY(key.pkey, &der);
  } else if (format == "pkcs8" && key.is_private) {
    PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key.pkey);
    if (p8 != nullptr) length = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
    PKCS8_PRIV_KEY_INFO_free(p8);
  }
  if (length <= 0) return OpenSslError("export failed");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_clear_free(der, static_cast<size_t>(length));
  return out;
}

// native.cryptoKeyExport(handle, format) -> ArrayBuffer or error string. format "raw" (secret
// bytes, uncompressed EC point, raw Ed25519/X25519 public key), "spki", "pkcs8".
void KeyExport(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoKeyExport");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[0]);
  if (key == nullptr) return;
  absl::StatusOr<std::string> out = ExportDer(*key, args.Text(1));
  ReturnBuffer(info, out);
  if (out.ok()) OPENSSL_cleanse(out->data(), out->size());
}

}  // namespace

void InstallCryptoKeys(NativeScope& scope) {
  scope.SetFunction("cryptoSecretImport", SecretImport);
  scope.SetFunction("cryptoSecretGenerate", SecretGenerate);
  scope.SetFunction("cryptoKeyGenerate", KeyGenerate);
  scope.SetFunction("cryptoRsaGenerate", RsaGenerate);
  scope.SetFunction("cryptoKeyImport", KeyImport);
  scope.SetFunction("cryptoKeyInfo", KeyInfo);
  scope.SetFunction("cryptoKeyExport", KeyExport);
}

}  // namespace atl::bindings::crypto
