#pragma once
// The fleet's shared secret (README.md "Placements and forwarding"): a random 256-bit value at
// PREFIX do-secret in etcd, made once by whichever node asks first (a create-if-absent
// transaction; a node that loses the race reads the winner's). Calls between nodes carry it:
// a forwarded request (`x-atoll-forward-token`, so no client can claim its request was forwarded
// and have it served where the tenant is not placed) and a Durable Object call (`x-atoll-do-node`).
// Empty until read; Load() is cheap to call again (one request in flight at most).
//
//   FleetSecret secret(&etcd, keys.ObjectSecret());
//   secret.Load();   // e.g. on every pump tick until !secret.value().empty()
//   if (secret.Check(token)) ...

#include <string>
#include <string_view>

#include "server/etcd_client.h"

namespace atl::server {

class FleetSecret {
 public:
  FleetSecret(EtcdClient* etcd, std::string key) : etcd_(etcd), key_(std::move(key)) {}
  // Reads the secret, making it if etcd has none; nothing if it is known or a read is in flight.
  void Load();
  const std::string& value() const { return value_; }
  // Constant time; false while the secret is not known.
  bool Check(std::string_view token) const;

 private:
  EtcdClient* etcd_;
  std::string key_;
  std::string value_;
  bool busy_ = false;
};

}  // namespace atl::server
