#include "config/wrangler_queues.h"

#include <string_view>

#include "base/strings.h"
#include "config/json_to_toml.h"

namespace atl::config {
namespace {

using base::StrCat;

constexpr std::string_view kConsumerKeys[] = {"max_batch_size", "max_batch_timeout", "max_retries",
                                              "retry_delay",    "dead_letter_queue", "max_concurrency"};

absl::Status Error(std::string_view key, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(key, ": ", message));
}

// The string `name` of `item`; empty when absent.
absl::StatusOr<std::string> StringField(const toml::table& item, std::string_view key, std::string_view name) {
  const toml::node* n = item.get(name);
  if (n == nullptr) return std::string();
  if (!n->is_string()) return Error(StrCat(key, ".", name), "expected a string");
  return n->as_string()->get();
}

absl::Status Producers(const toml::array& list, std::string* out) {
  out->append("queues = { ");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string key = StrCat("queues.producers[", i, "]");
    const toml::table* item = list.get(i)->as_table();
    if (item == nullptr) return Error(key, "expected a table {binding, queue}");
    for (const auto& [k, v] : *item) {
      if (k.str() != "binding" && k.str() != "queue") {
        return Error(StrCat(key, ".", k.str()), "unknown or unsupported key (expected binding and queue; delivery_delay is not supported)");
      }
    }
    absl::StatusOr<std::string> binding = StringField(*item, key, "binding");
    if (!binding.ok()) return binding.status();
    absl::StatusOr<std::string> queue = StringField(*item, key, "queue");
    if (!queue.ok()) return queue.status();
    if (binding->empty() || queue->empty()) return Error(key, "expected binding and queue, both strings");
    if (i > 0) out->append(", ");
    AppendTomlString(*binding, out);
    out->append(" = ");
    AppendTomlString(*queue, out);
  }
  out->append(" }\n");
  return absl::OkStatus();
}

absl::Status Consumers(const toml::array& list, std::string* out) {
  out->append("queue_consumers = { ");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string key = StrCat("queues.consumers[", i, "]");
    const toml::table* item = list.get(i)->as_table();
    if (item == nullptr) return Error(key, "expected a table {queue, max_batch_size, ...}");
    absl::StatusOr<std::string> queue = StringField(*item, key, "queue");
    if (!queue.ok()) return queue.status();
    if (queue->empty()) return Error(key, "missing required key \"queue\"");
    absl::StatusOr<std::string> type = StringField(*item, key, "type");
    if (!type.ok()) return type.status();
    if (!type->empty() && *type != "worker") {
      return Error(StrCat(key, ".type"), StrCat("\"", *type, "\" is not supported (a consumer is this Worker's queue() handler: \"worker\")"));
    }
    if (i > 0) out->append(", ");
    AppendTomlString(*queue, out);
    out->append(" = { ");
    bool first = true;
    for (const auto& [k, v] : *item) {
      std::string_view field = k.str();
      if (field == "queue" || field == "type" || field == "visibility_timeout_ms") continue;
      bool known = false;
      for (std::string_view name : kConsumerKeys) known = known || field == name;
      if (!known) {
        return Error(StrCat(key, ".", field), "unknown or unsupported key (expected queue, type, max_batch_size, max_batch_timeout, "
                                              "max_retries, retry_delay, dead_letter_queue, max_concurrency)");
      }
      if (!first) out->append(", ");
      first = false;
      out->append(field);
      out->append(" = ");
      if (v.is_string()) {
        AppendTomlString(v.as_string()->get(), out);
      } else if (v.is_integer()) {
        out->append(std::to_string(v.as_integer()->get()));
      } else {
        return Error(StrCat(key, ".", field), "expected a whole number (dead_letter_queue: a string)");
      }
    }
    out->append(first ? "}" : " }");
  }
  out->append(" }\n");
  return absl::OkStatus();
}

}  // namespace

absl::Status WranglerQueuesToToml(const toml::node& queues, std::string* out) {
  const toml::table* t = queues.as_table();
  if (t == nullptr) return Error("queues", "expected a table of producers and consumers ([[queues.producers]], [[queues.consumers]])");
  for (const auto& [k, v] : *t) {
    if ((k.str() != "producers" && k.str() != "consumers") || !v.is_array()) {
      return Error(StrCat("queues.", k.str()), "expected [[queues.producers]] or [[queues.consumers]] tables");
    }
  }
  if (const toml::array* producers = (*t)["producers"].as_array()) {
    if (absl::Status st = Producers(*producers, out); !st.ok()) return st;
  }
  if (const toml::array* consumers = (*t)["consumers"].as_array()) return Consumers(*consumers, out);
  return absl::OkStatus();
}

}  // namespace atl::config
