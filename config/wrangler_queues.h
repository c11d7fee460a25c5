#pragma once
// wrangler's `queues` (https://developers.cloudflare.com/queues/configuration/configure-queues/)
// as atoll's two tables (config/env_queues.h):
//   [[queues.producers]] binding = "JOBS", queue = "jobs"       -> queues = { JOBS = "jobs" }
//   [[queues.consumers]] queue = "jobs", max_batch_size = 5 ... -> queue_consumers = { "jobs" = { ... } }
// The consumer's settings are passed on as they are (the tenant parser checks them); `type`
// must be "worker" (a pull consumer, "http_pull", has no Worker to call), and
// `visibility_timeout_ms` (pull consumers only) is accepted and ignored. A producer's
// `delivery_delay` is not supported (a message's own delaySeconds is).
//
//   std::string toml;
//   absl::Status st = WranglerQueuesToToml(queues_node, &toml);  // errors: "queues.consumers[0]: ..."

#include <string>

#include "absl/status/status.h"
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {

absl::Status WranglerQueuesToToml(const toml::node& queues, std::string* out);

}  // namespace atl::config
