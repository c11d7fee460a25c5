#pragma once
// `atoll serve` runs as a supervisor (SPEC §1): it opens the listeners, starts `workers` worker
// processes (this binary again, with ATOLL_WORKER set), and stays small: no V8, no tenants.
// - A worker that dies is started again at once, then with a growing delay if it keeps dying.
// - SIGTERM/SIGINT go to every worker (each drains); the supervisor exits 0 once they are gone.
// - SIGHUP starts a new generation of workers from the config as it is now (checked first with
//   `atoll check --keep-going`: refused and logged if the config is bad; a tenant whose script
//   does not load is logged and the others reload); once all of them are ready the old ones are
//   told to drain. The listeners never close, so no connection is refused meanwhile.
// - Workers ask each other questions through it (the admin API's metrics, stats and deploys). A
//   deploy is asked of every live worker, starting ones and a reload's new generation too, so
//   that when it is answered every worker serves it.
//
// - Isolation groups (isolation.h, supervisor_isolation.cc): each `isolation = "process"` tenant
//   gets one worker of its own (index kGroupBase + g) whose only listener is a loopback socket
//   opened here; the admin API moves tenants there and back at run time.
//
// A worker gets: fd 3, its control channel (control_channel.h); fds 4.., the listeners in the
// supervisor's order, then the admin listener if there is one; and ATOLL_WORKER (WorkerRole).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/cli.h"

namespace atl::server {

// What a worker process is told by the supervisor that started it.
struct WorkerRole {
  static constexpr int kControlFd = 3;
  static constexpr int kFirstListenFd = 4;
  uint32_t index = 0;        // 0..workers-1 within its generation
  uint64_t generation = 1;   // 1 at start-up, one more per reload
  uint32_t listeners = 0;    // fds kFirstListenFd.. are listening sockets
  bool admin = false;        // and the next one is the admin API's

  std::string ToEnvironment() const;
  // ATOLL_WORKER of this process, if the supervisor started it.
  static std::optional<WorkerRole> FromEnvironment();
};

// Runs the supervisor until every worker is gone after SIGTERM/SIGINT; returns the exit code.
// `argv` is this process's command line: each worker runs it again.
int RunSupervisor(const ServeOptions& options, const std::vector<std::string>& argv);

}  // namespace atl::server
