#pragma once
// WebCrypto (https://w3c.github.io/webcrypto/): crypto, Crypto, SubtleCrypto and CryptoKey are
// lazy module "crypto" (js/lazy/crypto.js and js/lazy/crypto/), which does the Web IDL
// conversions, algorithm normalization and the spec's checks; the cryptography itself is here,
// on OpenSSL 3's EVP APIs. Key material never leaves C++: a CryptoKey holds an opaque handle
// (crypto_util.h) that only these natives can read.
//
// The natives, by file:
//   crypto_util.cc    cryptoRandomFill, cryptoRandomUUID, cryptoCopy, cryptoBase64urlEncode/Decode
//   crypto_digest.cc  cryptoDigest, cryptoHmac, cryptoHmacVerify, cryptoPbkdf2, cryptoHkdf
//   crypto_aes.cc     cryptoAesCbc, cryptoAesCtr, cryptoAesGcm, cryptoAesKw
//   crypto_keys.cc    cryptoSecretImport/Generate, cryptoKeyGenerate, cryptoKeyImport,
//                     cryptoKeyExport, cryptoKeyInfo
//   crypto_jwk.cc     cryptoKeyImportJwk, cryptoKeyExportJwk
//   crypto_sign.cc    cryptoSign, cryptoVerify, cryptoDerive, cryptoRsaOaep
// A native that fails for a reason the tenant caused answers a string (the message); the JS
// half turns it into the DOMException the spec names for that step.

namespace atl::bindings {
class NativeScope;

void InstallCrypto(NativeScope& scope);
}  // namespace atl::bindings
