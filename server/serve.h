#pragma once
// `atoll serve`: one worker process running the HTTP front end and one tenant on the libuv loop
// until SIGINT/SIGTERM.

#include "server/cli.h"

namespace atl::server {

// Returns the process exit code.
int RunServe(const ServeOptions& options);

}  // namespace atl::server
