// A throwaway PostgreSQL server for tests (postgres_fixture.h).
#include "tests/postgres_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

}  // namespace

PostgresServer::~PostgresServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

// Forks and execs `argv` (stdout and stderr appended to dir_/log), as the `postgres` user when
// root; `wait`: true if it exited 0.
bool PostgresServer::RunAs(const std::vector<std::string>& argv, bool wait, pid_t* pid_out) const {
  struct passwd* pw = geteuid() == 0 ? getpwnam("postgres") : nullptr;
  if (geteuid() == 0 && pw == nullptr) return false;  // setup.sh's postgresql-15 creates the user
  uid_t uid = pw ? pw->pw_uid : 0;
  gid_t gid = pw ? pw->pw_gid : 0;
  std::string log = dir_ + "/log";
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    setsid();  // not in the test's process group: a ^C of the test does not reach it first
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    if (pw != nullptr) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
      setenv("HOME", dir_.c_str(), 1);
      setenv("USER", "postgres", 1);
    }
    unsetenv("PGDATA");
    if (chdir(dir_.c_str()) != 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid_out != nullptr) *pid_out = pid;
  if (!wait) return true;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool PostgresServer::Start() {
  if (pid_ > 0) return true;
  if (dir_.empty()) {
    char tmpl[] = "/tmp/atoll-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return false;
    dir_ = tmpl;
    if (geteuid() == 0) {
      struct passwd* pw = getpwnam("postgres");
      if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return false;
      user_ = "postgres";
    } else {
      struct passwd* pw = getpwuid(geteuid());
      user_ = pw ? pw->pw_name : "postgres";
    }
    chmod(dir_.c_str(), 0700);
    // trust on loopback and the socket only: nothing else can reach it.
    if (!RunAs({std::string(kBin) + "initdb", "-D", dir_ + "/data", "-U", user_, "--auth=trust", "-E", "UTF8",
                "--locale=C", "--no-instructions"},
               true, nullptr)) {
      return false;
    }
    if (!password_roles_.empty()) {
      // pg_hba.conf is read top down: these lines come before initdb's trust lines.
      std::string hba_path = dir_ + "/data/pg_hba.conf";
      std::ifstream in(hba_path);
      std::stringstream hba;
      for (const auto& [role, password] : password_roles_) hba << "host all " << role << " 127.0.0.1/32 scram-sha-256\n";
      hba << in.rdbuf();
      in.close();
      std::ofstream out(hba_path, std::ios::trunc);  // the file keeps its owner (`postgres` when root)
      out << hba.str();
      if (!out.flush()) return false;
    }
  }
  if (port_ == 0) port_ = FreeLoopbackPort();  // a restart keeps the port: clients reconnect to it
  if (!RunAs({std::string(kBin) + "postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_, "-c",
              "listen_addresses=127.0.0.1", "-c", "max_connections=40", "-c", "shared_buffers=16MB"},
             false, &pid_)) {
    pid_ = -1;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (RawClient(port_).connected() && Psql("SELECT 1") == "1\n") {
      if (roles_created_) return true;
      roles_created_ = true;
      for (const auto& [role, password] : password_roles_) {
        if (Psql("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'") != "CREATE ROLE\n") return false;
      }
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void PostgresServer::AddPasswordRole(const std::string& role, const std::string& password) {
  password_roles_.emplace_back(role, password);
}

void PostgresServer::Stop() {
  if (pid_ <= 0) return;
  Pause(false);
  StopProcess(pid_, SIGINT);  // fast shutdown: clients disconnected, a checkpoint, exit
  pid_ = -1;
}

void PostgresServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitForExit(pid_, std::chrono::seconds(5));
  pid_ = -1;
}

void PostgresServer::Pause(bool paused) {
  if (pid_ <= 0) return;
  // The postmaster's children (backends, the WAL writer, ...) each run in a session of their
  // own: found by their parent pid in /proc/PID/stat.
  std::vector<pid_t> pids{pid_};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(line.substr(close_paren + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid_) pids.push_back(static_cast<pid_t>(std::atoi(entry.path().filename().c_str())));
  }
  for (pid_t pid : pids) kill(pid, paused ? SIGSTOP : SIGCONT);
}

std::string PostgresServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=" + user_ + " connect_timeout=2";
}

std::string PostgresServer::log() const {
  std::ifstream in(dir_ + "/log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string PostgresServer::Psql(const std::string& sql) const {
  std::string out = dir_ + "/psql.out";
  std::string command = std::string(kBin) + "psql -X -At -v ON_ERROR_STOP=1 \"" + conninfo() + "\" -c \"" + sql +
                        "\" > " + out + " 2>&1";
  int rc = std::system(command.c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return rc == 0 ? text.str() : "ERROR " + text.str();
}

}  // namespace atl::testing
