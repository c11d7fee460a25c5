#pragma once
// A fleet on 127.0.0.1 for integration tests (README.md "Running a fleet"): atoll nodes in
// cluster mode (`FleetNode`: its config file and data_dir survive restarts; killed with -9 as a
// whole) and `atoll control` processes (`Controller`), around the etcd and PostgreSQL fixtures.
// The admin token is read from $ATOLL_ADMIN_TOKEN, which the test sets.
//
//   FleetNode a("a", root, "etcd = \"" + etcd.url() + "\"\n");
//   a.Start();
//   ASSERT_TRUE(a.Ready()) << a.server().log();
//   HttpResponse r = a.Admin("PUT", "/tenants/t", body);

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/etcd_fixture.h"
#include "tests/postgres_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {

// What every fleet suite sets up the same way: the admin token in $ATOLL_ADMIN_TOKEN (kToken), a
// real etcd (and PostgreSQL when the suite asks) on loopback, and a temporary root for the nodes'
// files. TearDown calls StopFleet() (the subclass stops its nodes and controllers while etcd is
// still up), then stops etcd and PostgreSQL and removes the root.
class ClusterSuite : public ::testing::Test {
 protected:
  static constexpr char kToken[] = "fleet-test-token";
  explicit ClusterSuite(bool postgres = false) : postgres_(postgres) {}
  void SetUp() override;
  void TearDown() override;
  virtual void StopFleet() {}
  // The [cluster] table's start for a node: etcd, and postgres when the suite has it.
  std::string ClusterTable() const;

  EtcdServer etcd_;
  PostgresServer pg_;
  std::string root_;

 private:
  bool postgres_;
};

class FleetNode {
 public:
  // `cluster` is the body of its [cluster] table (etcd, postgres, ...); node_name, lease_ttl_s
  // (3) and deploy_timeout_ms (8000) are added unless it names them.
  FleetNode(std::string name, const std::string& root, const std::string& cluster, int workers = 2);
  ~FleetNode();

  void Start();
  void Stop();
  // kill -9 of the supervisor and every worker (the workers stopped first, so that none revokes
  // the node's lease when its supervisor disappears: the lease then expires after its TTL).
  void Kill9();
  // `signal` (SIGSTOP, SIGCONT) to the supervisor and every worker.
  void Signal(int signal);
  // Every worker ready and /readyz 200.
  bool Ready(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  // One admin API request with the token (If-Match when `if_match` is not empty).
  HttpResponse Admin(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::string& if_match = "") const;
  // GET `path` with Host `host` on a fresh connection.
  HttpResponse Get(const std::string& host, const std::string& path, const std::string& extra_headers = "") const;

  // What `what` reads from GET `host`/ on 6 fresh connections (so every worker answers) if they
  // all agree, else "FIRST / OTHER".
  std::string Agreed(const std::string& host, const std::function<std::string(const HttpResponse&)>& what) const;

  const std::string& name() const { return name_; }
  bool up() const { return server_ != nullptr; }
  int port() const { return server_->port(); }
  int admin_port() const { return admin_; }
  const TestServer& server() const { return *server_; }

 private:
  std::string name_, dir_;
  int workers_;
  std::unique_ptr<TestServer> server_;
  int admin_ = 0;
};

// 50 deploys of tenant `tenant` (the body of deploy i: `body_of(i)`) through nodes[0], or nodes[1]
// while nodes[0] is down, with each node stopped in turn for four deploys and started again; all
// are up at the end. Each answer must be 200, or 202 (a node that is starting had registered but
// not caught up). The revision of the last deploy (-1 after a failed one: a test failure is
// recorded); `answered_200` counts the 200s.
int64_t DeployFiftyWithRestarts(const std::vector<FleetNode*>& nodes, const std::string& tenant,
                                const std::function<std::string(int)>& body_of, int* answered_200 = nullptr);

// One `atoll control` process, its log in a file under `dir`.
class Controller {
 public:
  Controller(const std::string& name, const std::string& etcd_url, const std::string& dir,
             const std::vector<std::string>& extra = {});
  ~Controller();
  void Kill9();
  // `signal` (SIGSTOP, SIGCONT) to the supervisor and every worker.
  void Signal(int signal);
  int Stop();
  std::string log() const;
  const std::string& name() const { return name_; }

 private:
  std::string name_, log_path_;
  pid_t pid_ = -1;
};

// Every key under `prefix` in etcd, with its value (decoded).
std::map<std::string, std::string> ReadEtcdPrefix(const EtcdServer& etcd, const std::string& prefix);
// The "name" of the controller that leads (etcd's /atoll/control/leader; "" if none).
std::string LeaderName(const EtcdServer& etcd);
// tenant -> the nodes it is placed on (etcd's /atoll/placements/).
std::map<std::string, std::vector<std::string>> Placements(const EtcdServer& etcd);

}  // namespace atl::testing
