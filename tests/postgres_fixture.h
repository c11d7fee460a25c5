#pragma once
// A throwaway PostgreSQL 15 server for integration tests (Debian's postgresql-15, binaries under
// /usr/lib/postgresql/15/bin): initdb into a temporary folder, `postgres` listening on 127.0.0.1
// at a free port (its unix socket in that folder too), stopped by pid (SIGINT: fast shutdown,
// then SIGKILL) by Stop() or the destructor. fsync stays on (the default), so a test may count on
// what PostgreSQL acknowledged.
//
// PostgreSQL refuses to run as root. When the test runs as root, initdb and postgres run as the
// `postgres` system user that the postgresql-15 package creates (scripts/setup.sh installs it),
// through setgid/setuid in the forked child; the temporary folder is given to that user.
//
//   PostgresServer pg;
//   ASSERT_TRUE(pg.Start()) << pg.log();
//   std::string conninfo = pg.conninfo();   // "host=127.0.0.1 port=N dbname=postgres user=..."
//
// Every role is trusted, unless AddPasswordRole() named it before the first Start().

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace atl::testing {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Before the first Start(): a login role `role` whose password (stored as SCRAM-SHA-256,
  // PostgreSQL 15's default) a client on 127.0.0.1 must prove with SCRAM-SHA-256 (a pg_hba.conf
  // line for it alone, before initdb's trust lines); the fixture's own role stays trusted.
  void AddPasswordRole(const std::string& role, const std::string& password);
  // initdb (first call only) and start; true once it accepts connections (within ~20 s).
  bool Start();
  // Stops the server (fast shutdown; SIGKILL after 10 s). The data folder stays, so Start() again
  // brings back the same database, on the same port.
  void Stop();
  // SIGKILL, no shutdown (a crash).
  void Kill();
  // SIGSTOP / SIGCONT to the server and its backends (its own process group): a server that
  // accepts nothing and answers nothing, as behind a network partition.
  void Pause(bool paused);
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string conninfo() const;
  // initdb's and postgres's output so far (for failure messages).
  std::string log() const;
  // Runs `sql` with psql; its output (-At: unaligned, tuples only), or "ERROR..." on failure.
  std::string Psql(const std::string& sql) const;

 private:
  bool RunAs(const std::vector<std::string>& argv, bool wait, pid_t* pid_out) const;
  std::string dir_;   // the temporary folder: data/, the socket, the log
  std::string user_;  // the role initdb made (the OS user it ran as)
  int port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::pair<std::string, std::string>> password_roles_;  // role, password
  bool roles_created_ = false;
};

}  // namespace atl::testing
