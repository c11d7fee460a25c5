#include "bindings/crypto.h"

#include "bindings/crypto_util.h"

namespace atl::bindings {

void InstallCrypto(NativeScope& scope) {
  crypto::InstallCryptoUtil(scope);
  crypto::InstallCryptoDigest(scope);
  crypto::InstallCryptoStream(scope);
  crypto::InstallCryptoAes(scope);
  crypto::InstallCryptoKeys(scope);
  crypto::InstallCryptoJwk(scope);
  crypto::InstallCryptoSign(scope);
}

}  // namespace atl::bindings
