// A fleet on 127.0.0.1 for integration tests (fleet_fixture.h).
#include "tests/fleet_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/json_reader.h"
#include "bindings/base64.h"
#include "config/cluster_layout.h"

namespace atl::testing {

void ClusterSuite::SetUp() {
  setenv("ATOLL_ADMIN_TOKEN", kToken, 1);
  ASSERT_TRUE(etcd_.Start()) << etcd_.log();
  if (postgres_) {
    ASSERT_TRUE(pg_.Start()) << pg_.log();
  }
  char pattern[] = "/tmp/atoll-fleet-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  root_ = pattern;
}

void ClusterSuite::TearDown() {
  StopFleet();
  if (postgres_) pg_.Stop();
  etcd_.Stop();
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  unsetenv("ATOLL_ADMIN_TOKEN");
}

std::string ClusterSuite::ClusterTable() const {
  std::string table = "etcd = \"" + etcd_.url() + "\"\n";
  if (postgres_) table += "postgres = \"" + pg_.conninfo() + "\"\n";
  return table;
}

FleetNode::FleetNode(std::string name, const std::string& root, const std::string& cluster, int workers)
    : name_(std::move(name)), workers_(workers) {
  dir_ = root + "/" + name_;
  std::filesystem::create_directories(dir_);
  std::string table = cluster;
  if (table.find("node_name") == std::string::npos) table += "node_name = \"" + name_ + "\"\n";
  if (table.find("lease_ttl_s") == std::string::npos) table += "lease_ttl_s = 3\n";
  if (table.find("deploy_timeout_ms") == std::string::npos) table += "deploy_timeout_ms = 8000\n";
  std::ofstream(dir_ + "/atoll.toml") << "[server]\nadmin_listen = \"127.0.0.1:0\"\nworkers = " << workers_
                                      << "\ndata_dir = \"" << dir_ << "/data\"\n[cluster]\n" << table;
}

FleetNode::~FleetNode() { Stop(); }

void FleetNode::Start() {
  server_ = std::make_unique<TestServer>(dir_ + "/atoll.toml", std::vector<std::string>{"--workers", std::to_string(workers_)});
  admin_ = AdminPort(*server_);
}

void FleetNode::Stop() {
  if (server_) server_->Stop();
  server_.reset();
}

void FleetNode::Kill9() {
  if (!server_) return;
  std::vector<pid_t> workers;
  for (int i = 0; i < workers_; ++i) {
    if (pid_t pid = server_->worker_pid(i); pid > 0) workers.push_back(pid);
  }
  for (pid_t pid : workers) kill(pid, SIGSTOP);
  kill(server_->pid(), SIGKILL);
  for (pid_t pid : workers) kill(pid, SIGKILL);
  Stop();  // reaps the supervisor (the workers were its children)
}

void FleetNode::Signal(int signal) {
  if (!server_) return;
  kill(server_->pid(), signal);
  for (int i = 0; i < workers_; ++i) {
    if (pid_t pid = server_->worker_pid(i); pid > 0) kill(pid, signal);
  }
}

bool FleetNode::Ready(std::chrono::milliseconds timeout) const {
  return server_ && server_->WaitForWorkersReady(workers_, timeout) &&
         WaitFor([&] { return AdminRequest(admin_, "", "GET", "/readyz").status == 200; }, timeout);
}

HttpResponse FleetNode::Admin(const std::string& method, const std::string& path, const std::string& body,
                              const std::string& if_match) const {
  const char* token = getenv("ATOLL_ADMIN_TOKEN");
  RawClient client(admin_);
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\nAuthorization: Bearer " +
                        (token ? token : "") + "\r\n";
  if (!if_match.empty()) request += "If-Match: " + if_match + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  client.Send(request);
  return client.ReadResponse(false, std::chrono::seconds(20));
}

HttpResponse FleetNode::Get(const std::string& host, const std::string& path, const std::string& extra_headers) const {
  return GetFrom(server_->port(), host, path, extra_headers);
}

std::string FleetNode::Agreed(const std::string& host, const std::function<std::string(const HttpResponse&)>& what) const {
  std::string first;
  for (int i = 0; i < 6; ++i) {
    std::string got = what(Get(host, "/"));
    if (i == 0) first = got;
    if (got != first) return first + " / " + got;
  }
  return first;
}

int64_t DeployFiftyWithRestarts(const std::vector<FleetNode*>& nodes, const std::string& tenant,
                                const std::function<std::string(int)>& body_of, int* answered_200) {
  int64_t last = -1;
  int down = -1;
  for (int i = 0; i < 50; ++i) {
    if (i % 10 == 3) {
      down = (i / 10) % static_cast<int>(nodes.size());
      nodes[down]->Stop();
    }
    if (i % 10 == 7 && down >= 0) {
      nodes[down]->Start();
      down = -1;
    }
    HttpResponse r = nodes[down == 0 ? 1 : 0]->Admin("PUT", "/tenants/" + tenant, body_of(i));
    size_t at = r.body.find("\"revision\":");
    if ((r.status != 200 && r.status != 202) || at == std::string::npos) {
      ADD_FAILURE() << "deploy " << i << ": " << r.status << " " << r.body;
      if (down >= 0) nodes[down]->Start();
      return -1;
    }
    if (r.status == 200 && answered_200 != nullptr) ++*answered_200;
    last = std::atoll(r.body.c_str() + at + 11);
  }
  if (down >= 0) nodes[down]->Start();
  return last;
}

Controller::Controller(const std::string& name, const std::string& etcd_url, const std::string& dir,
                       const std::vector<std::string>& extra)
    : name_(name) {
  log_path_ = dir + "/" + name + ".log";
  std::string bin = getenv("ATOLL_BIN") ? getenv("ATOLL_BIN") : "";
  std::vector<std::string> args = {bin, "control", "--cluster", etcd_url, "--name", name, "--replicas", "2",
                                   "--lease-ttl-s", "3", "--interval-s", "1"};
  args.insert(args.end(), extra.begin(), extra.end());  // later flags win
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Controller::~Controller() { Stop(); }

void Controller::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int Controller::Stop() {
  if (pid_ <= 0) return -1;
  int code = StopProcess(pid_);
  pid_ = -1;
  return code;
}

std::string Controller::log() const {
  std::ifstream in(log_path_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::map<std::string, std::string> ReadEtcdPrefix(const EtcdServer& etcd, const std::string& prefix) {
  std::string body = etcd.Post("/v3/kv/range", "{\"key\":\"" + bindings::Base64Encode(prefix) + "\",\"range_end\":\"" +
                                                   bindings::Base64Encode(config::PrefixEnd(prefix)) + "\"}");
  std::map<std::string, std::string> out;
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(body);
  if (!doc.ok()) return out;
  if (const base::JsonValue* kvs = doc->Get("kvs")) {
    for (const base::JsonValue& kv : kvs->items) {
      auto decode = [](const base::JsonValue* v) { return v ? bindings::ForgivingBase64Decode(v->text).value_or("") : ""; };
      out[decode(kv.Get("key"))] = decode(kv.Get("value"));
    }
  }
  return out;
}

std::string LeaderName(const EtcdServer& etcd) {
  auto keys = ReadEtcdPrefix(etcd, "/atoll/control/leader");
  if (keys.empty()) return "";
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(keys.begin()->second);
  const base::JsonValue* name = doc.ok() ? doc->Get("name") : nullptr;
  return name ? name->text : "";
}

std::map<std::string, std::vector<std::string>> Placements(const EtcdServer& etcd) {
  std::map<std::string, std::vector<std::string>> out;
  const std::string prefix = "/atoll/placements/";
  for (const auto& [key, value] : ReadEtcdPrefix(etcd, prefix)) {
    absl::StatusOr<config::PlacementRecord> record = config::DecodePlacementRecord(value);
    out[key.substr(prefix.size())] = record.ok() ? record->nodes : std::vector<std::string>{"(bad)"};
  }
  return out;
}

}  // namespace atl::testing
