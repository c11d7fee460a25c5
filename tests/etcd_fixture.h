#pragma once
// A throwaway etcd 3.4 member for integration tests (Debian's etcd-server, /usr/bin/etcd): one
// member listening on 127.0.0.1 at free client and peer ports, its --data-dir in a temporary
// folder, stopped by pid (SIGTERM, then SIGKILL) by Stop() or the destructor. Loopback only.
//
//   EtcdServer etcd;
//   ASSERT_TRUE(etcd.Start()) << etcd.log();
//   std::string url = etcd.url();   // "http://127.0.0.1:N"

#include <sys/types.h>

#include <string>

namespace atl::testing {

class EtcdServer {
 public:
  EtcdServer() = default;
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Starts etcd (ports chosen on the first call); true once /health answers {"health":"true"}
  // (within ~15 s).
  bool Start();
  // SIGTERM (SIGKILL after 10 s). The data folder stays: Start() again brings back the same
  // keys on the same ports.
  void Stop();
  bool running() const { return pid_ > 0; }

  int client_port() const { return client_port_; }
  std::string url() const;
  // etcd's output so far (for failure messages).
  std::string log() const;
  // One POST to the v3 JSON gateway (e.g. "/v3/kv/range", "{\"key\":\"...\"}"); the response
  // body ("" on failure).
  std::string Post(const std::string& path, const std::string& json) const;

 private:
  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace atl::testing
