#pragma once
// Helpers shared by crypto_keys.cc (generation, DER and raw formats) and crypto_jwk.cc (JWK
// members): the supported curves, BIGNUM conversions and building keys from OSSL_PARAMs.

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bindings/crypto_util.h"

namespace atl::bindings::crypto {

struct Curve {
  std::string_view web;      // WebCrypto's namedCurve
  std::string_view openssl;  // OpenSSL's group name
  size_t size;               // bytes of a coordinate (and of a private scalar)
};

// "P-256", "P-384", "P-521" -> the curve, else null.
const Curve* CurveByWebName(std::string_view name);
// The named curve of an EC key, null if it is none of those.
const Curve* CurveOf(const EVP_PKEY* pkey);
// "Ed25519" / "X25519" -> OpenSSL's key type name, else null.
const char* OkpType(std::string_view kind);

struct BnFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};

// A BIGNUM from big-endian bytes.
BnPtr Bn(std::string_view bytes);
// Big-endian bytes of a BIGNUM parameter of `pkey`, left-padded to `pad` bytes (0: minimal).
std::optional<std::string> BnParam(const EVP_PKEY* pkey, const char* name, size_t pad);
// A key of OpenSSL type `type` from `bld`'s parameters, checked (public key valid; for EC key
// pairs, the private key matches the public one).
absl::StatusOr<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld, int selection);
// An EC key from an encoded point and, if `d` is set, a private scalar.
absl::StatusOr<PkeyPtr> EcFromPoint(const Curve& curve, std::string_view point, const std::string_view* d);

}  // namespace atl::bindings::crypto
