#pragma once
// `atoll serve`: the supervisor (supervisor.h), or, in a process it started, one worker running
// the HTTP front end and every tenant on the libuv loop until SIGINT/SIGTERM; `atoll check`:
// validate the config and compile every script.

#include <string>
#include <vector>

#include "server/cli.h"

namespace atl::server {

// Each returns the process exit code.
// `argv`: this process's command line (without the program), run again by each worker.
int RunServe(const ServeOptions& options, const std::vector<std::string>& argv);
int RunCheck(const ServeOptions& options);

}  // namespace atl::server
