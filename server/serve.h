#pragma once
// `atoll serve`: one worker process running the HTTP front end and every tenant on the libuv
// loop until SIGINT/SIGTERM; `atoll check`: validate the config and compile every script.

#include "server/cli.h"

namespace atl::server {

// Each returns the process exit code.
int RunServe(const ServeOptions& options);
int RunCheck(const ServeOptions& options);

}  // namespace atl::server
