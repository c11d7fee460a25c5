#include "config/env_queues.h"

#include <cmath>
#include <vector>

#include "base/json_reader.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace atl::config {
namespace {

// A consumer's numeric setting: its wrangler key, default and bounds (Queues' limits).
struct NumberSetting {
  std::string_view key;
  int64_t fallback;
  int64_t min;
  int64_t max;
};
constexpr NumberSetting kNumbers[] = {
    {"max_batch_size", 10, 1, 100},
    {"max_batch_timeout", 5, 0, 60},    // seconds
    {"max_retries", 3, 0, 100},
    {"retry_delay", 0, 0, 43200},       // seconds
    {"max_concurrency", 1, 1, 250},     // accepted; atoll runs one batch of a queue at a time
};

constexpr std::string_view kShape =
    "expected a table of max_batch_size, max_batch_timeout, max_retries, retry_delay, dead_letter_queue, "
    "max_concurrency";

}  // namespace

bool IsQueueName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::string> ParseQueueBinding(const EnvValue& value, const EnvParseContext&) {
  absl::StatusOr<std::string> name = value.String();
  if (!name.ok()) return name.status();
  if (!IsQueueName(*name)) {
    return value.Error(base::StrCat("\"", *name, "\" is not a queue name (1-63 letters, digits, '_' or '-')"));
  }
  return *name;
}

absl::StatusOr<std::string> ParseQueueConsumer(const EnvValue& value, const EnvParseContext& context) {
  if (!IsQueueName(context.name)) {
    return value.Error(base::StrCat("\"", context.name, "\" is not a queue name (1-63 letters, digits, '_' or '-')"));
  }
  absl::StatusOr<std::string> json = value.Json();
  if (!json.ok()) return json.status();
  absl::StatusOr<base::JsonValue> table = base::ParseJson(*json);
  if (!table.ok() || !table->IsObject()) return value.Error(kShape);
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("queue");
  w.String(context.name);
  for (const base::JsonMember& member : table->members) {
    bool known = member.first == "dead_letter_queue";
    for (const NumberSetting& setting : kNumbers) known = known || member.first == setting.key;
    if (!known) return value.Error(base::StrCat("unknown key \"", member.first, "\" (", kShape, ")"));
  }
  for (const NumberSetting& setting : kNumbers) {
    int64_t n = setting.fallback;
    if (const base::JsonValue* v = table->Get(setting.key)) {
      double d = v->type == base::JsonValue::Type::kNumber ? std::strtod(v->text.c_str(), nullptr) : NAN;
      if (!(d >= static_cast<double>(setting.min) && d <= static_cast<double>(setting.max)) || d != std::floor(d)) {
        return value.Error(base::StrCat(setting.key, ": expected a whole number from ", setting.min, " to ", setting.max));
      }
      n = static_cast<int64_t>(d);
    }
    w.Key(setting.key);
    w.Int(n);
  }
  std::string dead_letter;
  if (const base::JsonValue* v = table->Get("dead_letter_queue")) {
    if (v->type != base::JsonValue::Type::kString || !IsQueueName(v->Str())) {
      return value.Error("dead_letter_queue: expected a queue name (1-63 letters, digits, '_' or '-')");
    }
    if (v->Str() == context.name) return value.Error("dead_letter_queue: a queue cannot be its own dead letter queue");
    dead_letter = v->Str();
  }
  w.Key("dead_letter_queue");
  w.String(dead_letter);
  w.EndObject();
  return out;
}

}  // namespace atl::config
