// AES: AES-CBC (https://w3c.github.io/webcrypto/#aes-cbc), AES-CTR (#aes-ctr), AES-GCM
// (#aes-gcm) and AES-KW (#aes-kw), on OpenSSL's EVP ciphers. The JS half has checked the
// parameters the spec checks (IV lengths, tag lengths, counter length); what is left to fail here
// is the data (padding, authentication tag, counter exhaustion).
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <string>

#include "bindings/crypto_util.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"

namespace atl::bindings::crypto {
namespace {

enum class Mode { kCbc, kCtr, kGcm, kKw };

const EVP_CIPHER* AesCipher(Mode mode, size_t key_size) {
  switch (key_size) {
    case 16:
      return mode == Mode::kCbc   ? EVP_aes_128_cbc()
             : mode == Mode::kCtr ? EVP_aes_128_ctr()
             : mode == Mode::kGcm ? EVP_aes_128_gcm()
                                  : EVP_aes_128_wrap();
    case 24:
      return mode == Mode::kCbc   ? EVP_aes_192_cbc()
             : mode == Mode::kCtr ? EVP_aes_192_ctr()
             : mode == Mode::kGcm ? EVP_aes_192_gcm()
                                  : EVP_aes_192_wrap();
    case 32:
      return mode == Mode::kCbc   ? EVP_aes_256_cbc()
             : mode == Mode::kCtr ? EVP_aes_256_ctr()
             : mode == Mode::kGcm ? EVP_aes_256_gcm()
                                  : EVP_aes_256_wrap();
    default:
      return nullptr;
  }
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// EVP_CipherUpdate over all of `in`, appended to `out` (EVP takes int lengths: 1 GB pieces).
bool Update(EVP_CIPHER_CTX* ctx, std::string_view in, std::string* out) {
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t offset = 0; offset < in.size(); offset += kPiece) {
    size_t n = std::min(kPiece, in.size() - offset);
    size_t start = out->size();
    out->resize(start + n + EVP_MAX_BLOCK_LENGTH);
    int written = 0;
    if (EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out->data() + start), &written, U(in) + offset,
                         static_cast<int>(n)) != 1) {
      return false;
    }
    out->resize(start + static_cast<size_t>(written));
  }
  return true;
}

bool Final(EVP_CIPHER_CTX* ctx, std::string* out) {
  size_t start = out->size();
  out->resize(start + EVP_MAX_BLOCK_LENGTH);
  int written = 0;
  if (EVP_CipherFinal_ex(ctx, reinterpret_cast<unsigned char*>(out->data() + start), &written) != 1) return false;
  out->resize(start + static_cast<size_t>(written));
  return true;
}

// One pass of a mode without authentication (CBC, CTR, KW) over `data`, appended to `out`.
absl::Status Run(Mode mode, bool encrypt, std::string_view key, const uint8_t* iv, std::string_view data,
                 std::string* out) {
  const EVP_CIPHER* cipher = AesCipher(mode, key.size());
  if (cipher == nullptr) return absl::InvalidArgumentError("AES: the key is not 128, 192 or 256 bits");
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("AES: out of memory");
  if (mode == Mode::kKw) EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, U(key), iv, encrypt ? 1 : 0) != 1 ||
      !Update(ctx.get(), data, out) || !Final(ctx.get(), out)) {
    return OpenSslError(mode == Mode::kCbc && !encrypt ? "AES-CBC: decryption failed (bad padding)"
                        : mode == Mode::kKw           ? "AES-KW: the data could not be unwrapped"
                                                      : "AES: the operation failed");
  }
  return absl::OkStatus();
}

// https://w3c.github.io/webcrypto/#aes-ctr-operations: the rightmost `length_bits` bits of the
// counter block are the counter and wrap around on their own; OpenSSL increments all 128 bits,
// so the data is cut where the counter wraps and the second piece restarts at zero.
absl::StatusOr<std::string> AesCtr(std::string_view key, const uint8_t* counter, uint32_t length_bits,
                                   std::string_view data) {
  using u128 = unsigned __int128;
  u128 block = 0;
  for (int i = 0; i < 16; ++i) block = (block << 8) | counter[i];
  u128 mask = length_bits >= 128 ? ~u128{0} : ((u128{1} << length_bits) - 1);
  u128 blocks = (u128{data.size()} + 15) / 16;
  // Blocks before the counter wraps, and how many counter values there are.
  u128 before_wrap = length_bits >= 128 ? ~u128{0} : (mask - (block & mask)) + 1;
  if (length_bits < 128 && blocks > (u128{1} << length_bits)) {
    return absl::InvalidArgumentError("AES-CTR: the data is longer than the counter allows");
  }
  std::string out;
  out.reserve(data.size());
  size_t first = blocks <= before_wrap ? data.size() : static_cast<size_t>(before_wrap) * 16;
  absl::Status status = Run(Mode::kCtr, true, key, counter, data.substr(0, first), &out);
  if (status.ok() && first < data.size()) {
    uint8_t restart[16];
    u128 wrapped = block & ~mask;
    for (int i = 15; i >= 0; --i, wrapped >>= 8) restart[i] = static_cast<uint8_t>(wrapped);
    status = Run(Mode::kCtr, true, key, restart, data.substr(first), &out);
  }
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::string> AesGcm(bool encrypt, std::string_view key, std::string_view iv, std::string_view data,
                                   std::string_view aad, size_t tag_length) {
  const EVP_CIPHER* cipher = AesCipher(Mode::kGcm, key.size());
  if (cipher == nullptr) return absl::InvalidArgumentError("AES-GCM: the key is not 128, 192 or 256 bits");
  if (iv.empty() || iv.size() > INT_MAX) return absl::InvalidArgumentError("AES-GCM: bad iv length");
  std::string_view tag;
  if (!encrypt) {
    if (data.size() < tag_length) return absl::InvalidArgumentError("AES-GCM: the data is shorter than the tag");
    tag = data.substr(data.size() - tag_length);
    data = data.substr(0, data.size() - tag_length);
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out;
  out.reserve(data.size() + tag_length);
  if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv), encrypt ? 1 : 0) != 1) {
    return OpenSslError("AES-GCM: could not set up the cipher");
  }
  // Additional data goes through EVP_CipherUpdate with a null output buffer.
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t offset = 0; offset < aad.size(); offset += kPiece) {
    int written = 0;
    size_t n = std::min(kPiece, aad.size() - offset);
    if (EVP_CipherUpdate(ctx.get(), nullptr, &written, U(aad) + offset, static_cast<int>(n)) != 1) {
      return OpenSslError("AES-GCM: additional data");
    }
  }
  if (!Update(ctx.get(), data, &out)) return OpenSslError("AES-GCM: the operation failed");
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                                      const_cast<char*>(tag.data())) != 1) {
    return OpenSslError("AES-GCM: bad tag length");
  }
  if (!Final(ctx.get(), &out)) {
    OPENSSL_cleanse(out.data(), out.size());
    return OpenSslError(encrypt ? "AES-GCM: the operation failed" : "AES-GCM: the authentication tag does not match");
  }
  if (encrypt) {
    size_t start = out.size();
    out.resize(start + tag_length);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_length), out.data() + start) != 1) {
      return OpenSslError("AES-GCM: bad tag length");
    }
  }
  return out;
}

// native.cryptoAesCbc(encrypt, key, iv, data) -> ArrayBuffer or error string
void AesCbcNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoAesCbc");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes iv, data;
  if (key == nullptr || !args.Bytes(2, &iv) || !args.Bytes(3, &data)) return;
  if (iv.size != 16) {
    ReturnError(info, absl::InvalidArgumentError("AES-CBC: the iv must be 16 bytes"));
    return;
  }
  std::string out;
  absl::Status status = Run(Mode::kCbc, args.Flag(0), key->secret, iv.data, data.view(), &out);
  if (!status.ok()) {
    ReturnError(info, status);
    return;
  }
  ReturnBuffer(info, out);
}

// native.cryptoAesCtr(key, counter, length, data) -> ArrayBuffer or error string
void AesCtrNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoAesCtr");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[0]);
  Bytes counter, data;
  if (key == nullptr || !args.Bytes(1, &counter) || !args.Bytes(3, &data)) return;
  uint32_t length = args.ToUint32Or(2, 0);
  if (counter.size != 16 || length == 0 || length > 128) {
    ReturnError(info, absl::InvalidArgumentError("AES-CTR: bad counter"));
    return;
  }
  ReturnBuffer(info, AesCtr(key->secret, counter.data, length, data.view()));
}

// native.cryptoAesGcm(encrypt, key, iv, data, additionalData, tagBytes) -> ArrayBuffer or error string
void AesGcmNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoAesGcm");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes iv, data, aad;
  if (key == nullptr || !args.Bytes(2, &iv) || !args.Bytes(3, &data) ||
      !args.Bytes(4, &aad)) {
    return;
  }
  uint32_t tag_length = args.ToUint32Or(5, 0);
  if (tag_length < 4 || tag_length > 16) {
    ReturnError(info, absl::InvalidArgumentError("AES-GCM: bad tag length"));
    return;
  }
  absl::StatusOr<std::string> out = AesGcm(args.Flag(0), key->secret, iv.view(), data.view(), aad.view(), tag_length);
  ReturnBuffer(info, out);
  if (out.ok()) OPENSSL_cleanse(out->data(), out->size());
}

// native.cryptoAesKw(wrap, key, data) -> ArrayBuffer or error string (RFC 3394)
void AesKwNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cryptoAesKw");
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = GetKey(isolate, args[1]);
  Bytes data;
  if (key == nullptr || !args.Bytes(2, &data)) return;
  bool wrap = args.Flag(0);
  if (data.size % 8 != 0 || data.size < (wrap ? 16u : 24u)) {
    ReturnError(info, absl::InvalidArgumentError("AES-KW: the data must be a multiple of 8 bytes, at least 2 blocks"));
    return;
  }
  std::string out;
  absl::Status status = Run(Mode::kKw, wrap, key->secret, nullptr, data.view(), &out);
  if (!status.ok()) {
    ReturnError(info, status);
    return;
  }
  ReturnBuffer(info, out);
  OPENSSL_cleanse(out.data(), out.size());
}

}  // namespace

void InstallCryptoAes(NativeScope& scope) {
  scope.SetFunction("cryptoAesCbc", AesCbcNative);
  scope.SetFunction("cryptoAesCtr", AesCtrNative);
  scope.SetFunction("cryptoAesGcm", AesGcmNative);
  scope.SetFunction("cryptoAesKw", AesKwNative);
}

}  // namespace atl::bindings::crypto
