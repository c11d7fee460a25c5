// README "Running a fleet" starts a local fleet with `bash scripts/fleet.sh`: this runs that
// script (on free loopback ports), deploys through its first node, asks the third, and stops it
// with SIGTERM: every process it started must be gone and its folder removed. Bounded: ~30 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <ctime>
#include <fstream>
#include <random>
#include <string>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Whether a listener could bind 127.0.0.1:port now.
bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A port p on 127.0.0.1 with p .. p + count - 1 bindable, below the ephemeral range (32768+ here)
// so that the fleet's own outgoing connections (and other tests') cannot take them meanwhile.
int FreeRun(int count) {
  std::mt19937 random(static_cast<uint32_t>(getpid()) ^ static_cast<uint32_t>(time(nullptr)));
  for (int attempt = 0; attempt < 100; ++attempt) {
    int first = 20000 + static_cast<int>(random() % 12000);
    bool free = true;
    for (int i = 0; i < count && free; ++i) free = Bindable(first + i);
    if (free) return first;
  }
  return 0;
}

// What a folder holds, one path per line (for a failure message).
std::string Listing(const std::string& dir) {
  std::string out;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    out += "\n  " + it->path().string();
  }
  return out;
}

TEST(FleetScript, StartsAThreeNodeFleetThatServesADeployAndStopsEverything) {
  std::string ready = std::filesystem::temp_directory_path() / ("atoll-fleet-ready-" + std::to_string(getpid()));
  std::filesystem::remove(ready);
  // One run of 9 ports: etcd's client and peer, PostgreSQL, 3 nodes, 3 admin APIs.
  int base = FreeRun(9);
  ASSERT_NE(base, 0);
  int etcd = base, pg = base + 2, http = base + 3, admin = base + 6;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    setenv("ATOLL", getenv("ATOLL_BIN"), 1);
    setenv("FLEET_ETCD_PORT", std::to_string(etcd).c_str(), 1);
    setenv("FLEET_PG_PORT", std::to_string(pg).c_str(), 1);
    setenv("FLEET_HTTP_PORT", std::to_string(http).c_str(), 1);
    setenv("FLEET_ADMIN_PORT", std::to_string(admin).c_str(), 1);
    setenv("FLEET_READY_FILE", ready.c_str(), 1);
    setenv("ATOLL_ADMIN_TOKEN", "fleet-script-token", 1);
    std::string script = SourcePath("scripts/fleet.sh");
    execl("/bin/bash", "bash", script.c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  // The file names the fleet's folder (fleet.sh renames it into place once written; an empty
  // read, as a file seen between its creation and its write gives, is not taken for it).
  std::string dir;
  bool up = WaitFor([&] { return static_cast<bool>(std::ifstream(ready) >> dir); }, std::chrono::seconds(60));
  if (up) {
    HttpResponse deployed = AdminRequest(admin, "fleet-script-token", "PUT", "/tenants/hello",
                                         "{\"script\":\"export default { fetch() { return new Response('hi') } }\","
                                         "\"routes\":[\"hello.test/*\"]}");
    EXPECT_EQ(deployed.status, 200) << deployed.body;
    EXPECT_NE(deployed.body.find("\"nodes\":[\"n1\",\"n2\",\"n3\"]"), std::string::npos) << deployed.body;
    EXPECT_EQ(GetFrom(http + 2, "hello.test", "/").body, "hi");
    HttpResponse cluster = AdminRequest(admin + 1, "fleet-script-token", "GET", "/cluster");
    EXPECT_TRUE(WaitFor([&] { return AdminRequest(admin + 1, "fleet-script-token", "GET", "/cluster").body.find("\"leader\":\"ctl-") != std::string::npos; },
                        std::chrono::seconds(10)))
        << cluster.body;
  }
  kill(pid, SIGTERM);
  bool exited = WaitForExit(pid, std::chrono::seconds(30));
  if (!exited) kill(-pid, SIGKILL);
  ASSERT_TRUE(up) << "fleet.sh did not get ready";
  EXPECT_TRUE(exited) << "fleet.sh did not stop";
  // Everything it started is gone (the process group), and its folder too.
  EXPECT_TRUE(WaitFor([&] { return kill(-pid, 0) != 0; }, std::chrono::seconds(10))) << "processes left in its group";
  EXPECT_FALSE(dir.empty() || std::filesystem::exists(dir)) << dir << " still holds:" << Listing(dir);
  EXPECT_NE(GetFrom(http, "hello.test", "/").status, 200);
  std::filesystem::remove(ready);
}

}  // namespace
}  // namespace atl::testing
