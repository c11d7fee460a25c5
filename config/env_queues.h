#pragma once
// Queues (https://developers.cloudflare.com/queues/), two env binding kinds:
// - `queues` (`[tenants.queues] JOBS = "jobs"`): env.JOBS is the producer of the tenant's queue
//   "jobs" (send, sendBatch);
// - `queue_consumers` (`[tenants.queue_consumers] jobs = { max_batch_size = 10, ... }`): the
//   tenant's default export's queue(batch, env, ctx) consumes queue "jobs" (the NAME is the
//   queue's; nothing is put on env). The value is the consumer's settings, as wrangler's
//   `[[queues.consumers]]` names them; the parser fills in the defaults.
// A queue is the tenant's own, as D1 databases are; its messages wait in a Durable Object of an
// engine class (bindings/js/lazy/queues.js). wrangler's `[[queues.producers]]` and
// `[[queues.consumers]]` become these.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/env_binding.h"

namespace atl::config {

// 1-63 letters, digits, '_' or '-'.
bool IsQueueName(std::string_view name);

// The queue's name.
absl::StatusOr<std::string> ParseQueueBinding(const EnvValue& value, const EnvParseContext& context);
// {"queue":..., "max_batch_size":N, "max_batch_timeout":S, "max_retries":N, "retry_delay":S,
//  "dead_letter_queue":"" or a name} as JSON.
absl::StatusOr<std::string> ParseQueueConsumer(const EnvValue& value, const EnvParseContext& context);

}  // namespace atl::config
