// A throwaway etcd member for tests (etcd_fixture.h).
#include "tests/etcd_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/test_server.h"

namespace atl::testing {

EtcdServer::~EtcdServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string EtcdServer::url() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

std::string EtcdServer::log() const {
  std::ifstream in(dir_ + "/etcd.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool EtcdServer::Start() {
  if (pid_ > 0) return true;
  if (dir_.empty()) {
    char pattern[] = "/tmp/atoll-etcd-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return false;
    dir_ = pattern;
    client_port_ = FreeLoopbackPort();
    peer_port_ = FreeLoopbackPort();
  }
  std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {"/usr/bin/etcd",
                                   "--name", "atoll-test",
                                   "--data-dir", dir_ + "/data",
                                   "--listen-client-urls", client,
                                   "--advertise-client-urls", client,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", "atoll-test=" + peer,
                                   "--log-level", "warn"};
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int log = open((dir_ + "/etcd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    HttpResponse health = Get(client_port_, "/health");
    if (health.status == 200 && health.body.find("\"true\"") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Stop();
  return false;
}

void EtcdServer::Stop() {
  if (pid_ <= 0) return;
  StopProcess(pid_);
  pid_ = -1;
}

std::string EtcdServer::Post(const std::string& path, const std::string& json) const {
  RawClient client(client_port_);
  if (!client.connected()) return "";
  client.Send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(json.size()) + "\r\nConnection: close\r\n\r\n" + json);
  return client.ReadResponse().body;
}

}  // namespace atl::testing
