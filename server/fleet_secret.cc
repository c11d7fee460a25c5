#include "server/fleet_secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"

namespace atl::server {

bool FleetSecret::Check(std::string_view token) const {
  return !value_.empty() && token.size() == value_.size() && CRYPTO_memcmp(token.data(), value_.data(), value_.size()) == 0;
}

void FleetSecret::Load() {
  if (busy_ || !value_.empty()) return;
  busy_ = true;
  etcd_->Range(key_, "", [this](absl::StatusOr<EtcdClient::RangeResult> range) {
    if (!range.ok()) {
      busy_ = false;
      return;
    }
    if (!range->kvs.empty() && !range->kvs[0].value.empty()) {
      busy_ = false;
      value_ = range->kvs[0].value;
      return;
    }
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      busy_ = false;
      return;
    }
    std::string made = absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
    EtcdClient::Compare absent{.target = EtcdClient::Compare::Target::kCreate, .key = key_, .revision = 0, .value = {}};
    etcd_->Txn({absent}, {EtcdClient::TxnOp{.key = key_, .value = made}},
               [this, made](absl::StatusOr<EtcdClient::TxnResult> txn) {
                 busy_ = false;
                 if (!txn.ok()) return;
                 if (txn->succeeded) value_ = made;
                 else if (txn->current) value_ = txn->current->value;  // another node made it first
               });
  });
}

}  // namespace atl::server
