// Each env binding kind's parser on its own (config/env_*.h), through a fake EnvValue; the
// TOML side (positions, key paths, duplicate names) is config_test's.
#include "config/env_binding.h"

#include <gtest/gtest.h>

#include <map>

#include "config/env_d1.h"
#include "config/env_durable_objects.h"
#include "config/env_kv.h"
#include "config/env_queues.h"
#include "config/env_r2.h"
#include "config/env_secrets.h"
#include "config/env_services.h"
#include "config/env_vars.h"
#include "config/env_wasm.h"

namespace atl::config {
namespace {

// A value that is a string, or a table of strings; errors are InvalidArgument "at PATH: ...".
class FakeValue : public EnvValue {
 public:
  explicit FakeValue(std::string text, std::string path = "v") : text_(std::move(text)), path_(std::move(path)) {}
  FakeValue(std::map<std::string, std::string> table, std::string path = "v")
      : table_(std::move(table)), is_table_(true), path_(std::move(path)) {}

  absl::StatusOr<std::string> String() const override {
    if (is_table_) return Error("expected a string, got a table");
    return text_;
  }
  bool IsString() const override { return !is_table_; }
  absl::StatusOr<std::string> Json() const override { return Error("not JSON"); }
  absl::StatusOr<std::filesystem::path> ExistingFile() const override {
    absl::StatusOr<std::string> s = String();
    if (!s.ok()) return s.status();
    return std::filesystem::path("/abs") / *s;
  }
  absl::StatusOr<std::unique_ptr<EnvValue>> OnlyField(std::string_view key, std::string_view expected) const override {
    if (!is_table_) return Error(std::string("expected ") + std::string(expected));
    for (const auto& [k, v] : table_) {
      if (k != key) return Error("unknown key " + k);
    }
    auto it = table_.find(std::string(key));
    if (it == table_.end()) return Error("missing required key");
    return std::unique_ptr<EnvValue>(new FakeValue(it->second, path_ + "." + it->first));
  }
  absl::Status Error(std::string_view message) const override {
    return absl::InvalidArgumentError("at " + path_ + ": " + std::string(message));
  }

 private:
  std::string text_;
  std::map<std::string, std::string> table_;
  bool is_table_ = false;
  std::string path_;
};

// A table given as its JSON text (what TomlEnvValue::Json makes of it).
class FakeTable : public FakeValue {
 public:
  explicit FakeTable(std::string json) : FakeValue(std::map<std::string, std::string>{}), json_(std::move(json)) {}
  absl::StatusOr<std::string> Json() const override { return json_; }

 private:
  std::string json_;
};

bool Fails(const absl::StatusOr<std::string>& result, std::string_view part) {
  return !result.ok() && std::string(result.status().message()).find(part) != std::string::npos;
}

TEST(EnvBindingKinds, EveryTableInOrderAndFoundByKey) {
  EXPECT_EQ(EnvBindingKeys(), "vars, secrets, kv, wasm, services, durable_objects, workflows, d1, queues, queue_consumers, r2");
  for (const EnvBindingKind& kind : EnvBindingKinds()) EXPECT_EQ(FindEnvBindingKind(kind.key), &kind);
  EXPECT_EQ(FindEnvBindingKind("outbound"), nullptr);
}

TEST(EnvBindingKinds, DurableObjectsNameAClass) {
  EXPECT_EQ(*ParseDurableObjectBinding(FakeValue("ChatRoom"), {}), "ChatRoom");
  EXPECT_TRUE(Fails(ParseDurableObjectBinding(FakeValue("not a class"), {}), "is not a class name"));
}

TEST(EnvBindingKinds, WorkflowsNameAClass) {
  const EnvBindingKind* kind = FindEnvBindingKind("workflows");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(*kind->parse(FakeValue("OrderFlow"), {}), "OrderFlow");
  EXPECT_TRUE(Fails(kind->parse(FakeValue("0wf_OrderFlow"), {}), "is not a class name"));
}

TEST(EnvBindingKinds, D1NamesADatabase) {
  EXPECT_EQ(*ParseD1Binding(FakeValue("shop-db"), {}), R"({"name":"shop-db","migrations":[]})");
  EXPECT_TRUE(Fails(ParseD1Binding(FakeValue("shop db"), {}), "is not a database name"));
  EXPECT_TRUE(Fails(ParseD1Binding(FakeValue(std::string(65, 'a')), {}), "is not a database name"));
}

TEST(EnvBindingKinds, R2NamesABucket) {
  EXPECT_EQ(*ParseR2Binding(FakeValue("photos-2"), {}), "photos-2");
  EXPECT_EQ(*ParseR2Binding(FakeValue(std::string(63, 'b')), {}), std::string(63, 'b'));
  for (const std::string& bad : std::vector<std::string>{"ab", "Photos", "a_b", "-ab", "ab-", "a b", std::string(64, 'b')}) {
    EXPECT_TRUE(Fails(ParseR2Binding(FakeValue(bad), {}), "is not a bucket name")) << bad;
  }
  EXPECT_TRUE(Fails(ParseR2Binding(FakeValue(std::map<std::string, std::string>{{"bucket", "x"}}), {}), "expected a bucket name"));
}

TEST(EnvBindingKinds, QueuesNameAQueueAndConsumersGetDefaults) {
  EXPECT_EQ(*ParseQueueBinding(FakeValue("jobs-1"), {}), "jobs-1");
  EXPECT_TRUE(Fails(ParseQueueBinding(FakeValue("a queue"), {}), "is not a queue name"));
  EnvParseContext jobs;
  jobs.name = "jobs";
  EXPECT_EQ(*ParseQueueConsumer(FakeTable("{}"), jobs),
            R"({"queue":"jobs","max_batch_size":10,"max_batch_timeout":5,"max_retries":3,"retry_delay":0,"max_concurrency":1,"dead_letter_queue":""})");
  EXPECT_EQ(*ParseQueueConsumer(FakeTable(R"({"max_batch_size":100,"max_retries":0,"dead_letter_queue":"dlq"})"), jobs),
            R"({"queue":"jobs","max_batch_size":100,"max_batch_timeout":5,"max_retries":0,"retry_delay":0,"max_concurrency":1,"dead_letter_queue":"dlq"})");
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable(R"({"max_batch_size":101})"), jobs), "max_batch_size: expected a whole number from 1 to 100"));
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable(R"({"max_batch_timeout":1.5})"), jobs), "max_batch_timeout: expected a whole number"));
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable(R"({"max_retries":"3"})"), jobs), "max_retries: expected a whole number"));
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable(R"({"dead_letter_queue":"jobs"})"), jobs), "cannot be its own dead letter queue"));
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable(R"({"visibility":1})"), jobs), "unknown key \"visibility\""));
  EnvParseContext bad;
  bad.name = "not a queue";
  EXPECT_TRUE(Fails(ParseQueueConsumer(FakeTable("{}"), bad), "\"not a queue\" is not a queue name"));
}

TEST(EnvBindingKinds, VarsAreStrings) {
  EXPECT_EQ(*ParseVarBinding(FakeValue("hi"), {}), "hi");
  EXPECT_TRUE(Fails(ParseVarBinding(FakeValue(std::map<std::string, std::string>{}), {}), "expected a string"));
}

TEST(EnvBindingKinds, SecretsReadTheEnvironmentButNotTheAdminToken) {
  EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "API_KEY" || name == "ADMIN") return std::string("value of ") + std::string(name);
    return std::nullopt;
  };
  EnvParseContext context{&env, "ADMIN", nullptr};
  using Table = std::map<std::string, std::string>;
  EXPECT_EQ(*ParseSecretBinding(FakeValue(Table{{"env", "API_KEY"}}), context), "value of API_KEY");
  EXPECT_TRUE(Fails(ParseSecretBinding(FakeValue(Table{{"env", "ADMIN"}}), context), "at v.env: \"ADMIN\" holds the admin API's token"));
  EXPECT_TRUE(Fails(ParseSecretBinding(FakeValue(Table{{"env", "UNSET"}}), context), "at v: environment variable UNSET is not set"));
  EXPECT_TRUE(Fails(ParseSecretBinding(FakeValue(Table{{"env", "1X"}}), context), "is not an environment variable name"));
  EXPECT_TRUE(Fails(ParseSecretBinding(FakeValue(Table{{"env", "API_KEY"}, {"x", "1"}}), context), "unknown key x"));
  EXPECT_TRUE(Fails(ParseSecretBinding(FakeValue("API_KEY"), context), "a table like { env = \"VARIABLE\" }"));
}

TEST(EnvBindingKinds, KvNamesANamespace) {
  EXPECT_EQ(*ParseKvBinding(FakeValue("my_store-1"), {}), "my_store-1");
  for (const char* bad : {"", "Upper", "a.b", "x/y", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_TRUE(Fails(ParseKvBinding(FakeValue(bad), {}), "must match [a-z0-9_-]{1,63}")) << bad;
  }
}

TEST(EnvBindingKinds, WasmIsAnExistingFileMadeAbsolute) {
  EXPECT_EQ(*ParseWasmBinding(FakeValue("m.wasm"), {}), "/abs/m.wasm");
}

TEST(EnvBindingKinds, ServicesNameATenantOfTheFile) {
  std::unordered_set<std::string> names = {"auth"};
  EnvParseContext context{nullptr, "", &names};
  EXPECT_EQ(*ParseServiceBinding(FakeValue("auth"), context), "auth");
  EXPECT_TRUE(Fails(ParseServiceBinding(FakeValue("nobody"), context), "no tenant is named \"nobody\""));
}

}  // namespace
}  // namespace atl::config
