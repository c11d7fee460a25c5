// Public-key operations: signatures (ECDSA https://w3c.github.io/webcrypto/#ecdsa, Ed25519
// #ed25519, RSASSA-PKCS1-v1_5 #rsassa-pkcs1, RSA-PSS #rsa-pss), key agreement (ECDH #ecdh,
// X25519 #x25519) and RSA-OAEP (#rsa-oaep). ECDSA signatures are WebCrypto's fixed-size r || s,
// converted from and to OpenSSL's DER.
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string>

#include "bindings/crypto_util.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings::crypto {
namespace {

enum class Scheme { kEcdsa, kEd25519, kPkcs1, kPss, kUnknown };

Scheme SchemeOf(std::string_view name) {
  if (name == "ECDSA") return Scheme::kEcdsa;
  if (name == "Ed25519") return Scheme::kEd25519;
  if (name == "RSASSA-PKCS1-v1_5") return Scheme::kPkcs1;
  if (name == "RSA-PSS") return Scheme::kPss;
  return Scheme::kUnknown;
}

bool KeyFits(Scheme scheme, EVP_PKEY* pkey) {
  switch (scheme) {
    case Scheme::kEcdsa: return pkey && EVP_PKEY_is_a(pkey, "EC");
    case Scheme::kEd25519: return pkey && EVP_PKEY_is_a(pkey, "ED25519");
    case Scheme::kPkcs1:
    case Scheme::kPss: return pkey && EVP_PKEY_is_a(pkey, "RSA");
    default: return false;
  }
}

// Bytes of r and of s in a WebCrypto ECDSA signature: the size of the curve's order.
size_t EcScalarSize(EVP_PKEY* pkey) { return static_cast<size_t>(EVP_PKEY_get_bits(pkey) + 7) / 8; }

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A digest-sign or digest-verify context for `scheme` (the RSA padding and PSS salt length set).
absl::StatusOr<MdCtxPtr> Begin(bool sign, Scheme scheme, const EVP_MD* md, EVP_PKEY* pkey, int salt_length) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* digest = scheme == Scheme::kEd25519 ? nullptr : md;
  if (!ctx || (sign ? EVP_DigestSignInit(ctx.get(), &pctx, digest, nullptr, pkey)
                    : EVP_DigestVerifyInit(ctx.get(), &pctx, digest, nullptr, pkey)) != 1) {
    return OpenSslError("could not use the key");
  }
  if (scheme == Scheme::kPkcs1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("RSA padding");
  }
  if (scheme == Scheme::kPss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length) != 1 ||
                                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
    return OpenSslError("RSA-PSS parameters");
  }
  return ctx;
}

absl::StatusOr<std::string> Sign(Scheme scheme, const EVP_MD* md, EVP_PKEY* pkey, std::string_view data,
                                 int salt_length) {
  absl::StatusOr<MdCtxPtr> ctx = Begin(true, scheme, md, pkey, salt_length);
  if (!ctx.ok()) return ctx.status();
  size_t length = 0;
  if (EVP_DigestSign(ctx->get(), nullptr, &length, U(data), data.size()) != 1) return OpenSslError("signing failed");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx->get(), reinterpret_cast<unsigned char*>(signature.data()), &length, U(data), data.size()) != 1) {
    return OpenSslError("signing failed");
  }
  signature.resize(length);
  if (scheme != Scheme::kEcdsa) return signature;
  // DER ECDSA-Sig-Value -> r || s.
  const unsigned char* p = U(signature);
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()));
  if (sig == nullptr) return OpenSslError("signing failed");
  size_t n = EcScalarSize(pkey);
  std::string out(2 * n, '\0');
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(sig, &r, &s);
  bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) >= 0 &&
            BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + n), static_cast<int>(n)) >= 0;
  ECDSA_SIG_free(sig);
  if (!ok) return absl::InternalError("signing failed");
  return out;
}

bool Verify(Scheme scheme, const EVP_MD* md, EVP_PKEY* pkey, std::string_view data, std::string_view signature,
            int salt_length) {
  std::string der;
  if (scheme == Scheme::kEcdsa) {
    // r || s -> DER; a signature of the wrong size does not verify.
    size_t n = EcScalarSize(pkey);
    if (signature.size() != 2 * n) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(U(signature), static_cast<int>(n), nullptr);
    BIGNUM* s = BN_bin2bn(U(signature) + n, static_cast<int>(n), nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ECDSA_SIG_free(sig);
      ERR_clear_error();
      return false;
    }
    unsigned char* buffer = nullptr;
    int length = i2d_ECDSA_SIG(sig, &buffer);
    ECDSA_SIG_free(sig);
    if (length <= 0) {
      ERR_clear_error();
      return false;
    }
    der.assign(reinterpret_cast<char*>(buffer), static_cast<size_t>(length));
    OPENSSL_free(buffer);
    signature = der;
  }
  absl::StatusOr<MdCtxPtr> ctx = Begin(false, scheme, md, pkey, salt_length);
  bool ok = ctx.ok() && EVP_DigestVerify(ctx->get(), U(signature), signature.size(), U(data), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

// native.cryptoSign(algorithm, hash, key, data, saltLength) -> ArrayBuffer or error string.
// algorithm "ECDSA", "Ed25519" (hash ignored), "RSASSA-PKCS1-v1_5", "RSA-PSS".
void SignNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoSign");
  v8::Isolate* isolate = info.GetIsolate();
  Scheme scheme = SchemeOf(args.Text(0));
  const EVP_MD* md = scheme == Scheme::kEd25519 ? nullptr : GetDigest(isolate, args[1]);
  if (scheme != Scheme::kEd25519 && md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[2]);
  Bytes data;
  if (key == nullptr || !args.Bytes(3, &data)) return;
  if (!KeyFits(scheme, key->pkey) || !key->is_private) {
    return ReturnError(info, absl::InvalidArgumentError("the key does not fit the algorithm"));
  }
  int salt = static_cast<int>(args.Int32Or(4, 0));
  ReturnBuffer(info, Sign(scheme, md, key->pkey, data.view(), salt));
}

// native.cryptoVerify(algorithm, hash, key, data, signature, saltLength) -> boolean
void VerifyNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoVerify");
  v8::Isolate* isolate = info.GetIsolate();
  Scheme scheme = SchemeOf(args.Text(0));
  const EVP_MD* md = scheme == Scheme::kEd25519 ? nullptr : GetDigest(isolate, args[1]);
  if (scheme != Scheme::kEd25519 && md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[2]);
  Bytes data, signature;
  if (key == nullptr || !args.Bytes(3, &data) || !args.Bytes(4, &signature)) return;
  int salt = static_cast<int>(args.Int32Or(5, 0));
  bool ok = KeyFits(scheme, key->pkey) && Verify(scheme, md, key->pkey, data.view(), signature.view(), salt);
  info.GetReturnValue().Set(ok);
}

// native.cryptoDerive(privateKey, publicKey) -> the shared secret (ECDH: the x coordinate;
// X25519: refused when all zero) as an ArrayBuffer, or an error string.
void DeriveNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoDerive");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* mine = GetKey(isolate, args[0]);
  if (mine == nullptr) return;
  const KeyMaterial* theirs = GetKey(isolate, args[1]);
  if (theirs == nullptr) return;
  if (mine->pkey == nullptr || theirs->pkey == nullptr || !mine->is_private) {
    return ReturnError(info, absl::InvalidArgumentError("the keys do not fit the algorithm"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, mine->pkey, nullptr));
  size_t length = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), theirs->pkey) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &length) != 1) {
    return ReturnError(info, OpenSslError("key agreement failed"));
  }
  std::string secret(length, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &length) != 1) {
    return ReturnError(info, OpenSslError("key agreement failed"));
  }
  secret.resize(length);
  if (EVP_PKEY_is_a(mine->pkey, "X25519")) {
    unsigned char any = 0;
    for (char c : secret) any |= static_cast<unsigned char>(c);
    if (any == 0) return ReturnError(info, absl::InvalidArgumentError("X25519: the shared secret is all zeros"));
  }
  ReturnBuffer(info, secret);
  OPENSSL_cleanse(secret.data(), secret.size());
}

// native.cryptoRsaOaep(encrypt, hash, key, data, label) -> ArrayBuffer or error string
void RsaOaepNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoRsaOaep");
  v8::Isolate* isolate = info.GetIsolate();
  bool encrypt = args.Flag(0);
  const EVP_MD* md = GetDigest(isolate, args[1]);
  if (md == nullptr) return;
  const KeyMaterial* key = GetKey(isolate, args[2]);
  Bytes data, label;
  if (key == nullptr || !args.Bytes(3, &data) || !args.Bytes(4, &label)) return;
  if (key->pkey == nullptr || !EVP_PKEY_is_a(key->pkey, "RSA") || (!encrypt && !key->is_private)) {
    return ReturnError(info, absl::InvalidArgumentError("the key does not fit the algorithm"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key->pkey, nullptr));
  if (!ctx || (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    return ReturnError(info, OpenSslError("RSA-OAEP parameters"));
  }
  if (label.size > 0) {
    void* copy = OPENSSL_memdup(label.data, label.size);
    if (copy == nullptr || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(label.size)) != 1) {
      OPENSSL_free(copy);
      return ReturnError(info, OpenSslError("RSA-OAEP label"));
    }
  }
  auto run = [&](unsigned char* out, size_t* length) {
    return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, length, data.data, data.size)
                   : EVP_PKEY_decrypt(ctx.get(), out, length, data.data, data.size);
  };
  size_t length = 0;
  if (run(nullptr, &length) != 1) return ReturnError(info, OpenSslError("RSA-OAEP failed"));
  std::string out(length, '\0');
  if (run(reinterpret_cast<unsigned char*>(out.data()), &length) != 1) {
    return ReturnError(info, OpenSslError(encrypt ? "RSA-OAEP: the data is too long" : "RSA-OAEP: decryption failed"));
  }
  out.resize(length);
  ReturnBuffer(info, out);
  OPENSSL_cleanse(out.data(), out.size());
}

}  // namespace

void InstallCryptoSign(NativeScope& scope) {
  scope.SetFunction("cryptoSign", SignNative);
  scope.SetFunction("cryptoVerify", VerifyNative);
  scope.SetFunction("cryptoDerive", DeriveNative);
  scope.SetFunction("cryptoRsaOaep", RsaOaepNative);
}

}  // namespace atl::bindings::crypto
