#include "config/config.h"
#include "config/env_services.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "config/config_test_fixture.h"

namespace atl::config {
namespace {

using base::StrAppend;
using base::StrCat;

constexpr std::string_view kFull = R"toml(
[server]
listen = ["127.0.0.1:8080", "[::1]:8443"]
workers = 4
admin_listen = "127.0.0.1:9901"
admin_token_env = "MY_ADMIN_TOKEN"
data_dir = "./data"
max_isolates = 500
drain_ms = 2500
prewarm_mb = 512
idle_before_deep_reduce_ms = 30000
code_cache_memory_mb = 16
code_cache_disk_mb = 200
wasm_cache_mb = 32

[server.tls]
cert = "cert.pem"
key = "key.pem"

[defaults]
memory_mb = 256
cpu_ms = 100
wall_ms = 60000
subrequests = 10
max_request_body = "1MB"
context = "per_request"

[[tenants]]
name = "hello"
script = "hello.js"
routes = ["Hello.Example.com/*", "*/hello/*"]
memory_mb = 32
cpu_ms = 10
wall_ms = 1000
subrequests = 0
max_request_body = 4096
context = "shared"
cache_mb = 3
outbound = ["api.example.com", "*.Trusted.net", "db.internal:5432", "10.0.0.1", "10.0.0.2:80", "[::1]:8080"]
compatibility_flags = ["nodejs_compat", "streams_enable_constructors"]

[tenants.vars]
GREETING = "hi"
A_FIRST = "second in file order"

[tenants.secrets]
API_KEY = { env = "HELLO_API_KEY" }

[tenants.kv]
STORE = "hello-store"

[tenants.wasm]
IMG = "img.wasm"

[tenants.services]
AUTH = "auth"

[[tenants]]
name = "auth"
script = "auth.js"
)toml";

TEST_F(ConfigTest, FullFileWithEveryKey) {
  absl::StatusOr<Config> config = Parse(kFull);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->path, file_);

  const ServerConfig& server = config->server;
  ASSERT_EQ(server.listen.size(), 2u);
  EXPECT_EQ(server.listen[0].ToString(), "127.0.0.1:8080");
  EXPECT_EQ(server.listen[1].ToString(), "[::1]:8443");
  EXPECT_EQ(server.workers, 4u);
  ASSERT_TRUE(server.admin_listen.has_value());
  EXPECT_EQ(server.admin_listen->ToString(), "127.0.0.1:9901");
  EXPECT_EQ(server.admin_token_env, "MY_ADMIN_TOKEN");
  EXPECT_EQ(server.data_dir, dir_ / "data");
  EXPECT_EQ(server.pool.max_isolates, 500u);
  EXPECT_EQ(server.connection.drain_ms, 2500u);
  EXPECT_EQ(server.prewarm_mb, 512u);
  EXPECT_EQ(server.pool.idle_before_deep_reduce_ms, 30000u);
  EXPECT_EQ(server.code_cache.memory_mb, 16u);
  EXPECT_EQ(server.code_cache.disk_mb, 200u);
  EXPECT_EQ(server.code_cache.wasm_mb, 32u);
  ASSERT_TRUE(server.tls.has_value());
  EXPECT_EQ(server.tls->cert, dir_ / "cert.pem");
  EXPECT_EQ(server.tls->key, dir_ / "key.pem");

  EXPECT_EQ(config->defaults.memory_mb, 256u);
  EXPECT_EQ(config->defaults.cpu_ms, 100u);
  EXPECT_EQ(config->defaults.wall_ms, 60000u);
  EXPECT_EQ(config->defaults.subrequests, 10u);
  EXPECT_EQ(config->defaults.max_request_body, 1u << 20);
  EXPECT_EQ(config->defaults.context, ContextMode::kPerRequest);

  ASSERT_EQ(config->tenants.size(), 2u);
  const TenantConfig& hello = config->tenants[0];
  EXPECT_EQ(hello.name, "hello");
  EXPECT_EQ(hello.script, dir_ / "hello.js");
  ASSERT_EQ(hello.routes.size(), 2u);
  EXPECT_EQ(hello.routes[0].ToString(), "hello.example.com/*");
  EXPECT_EQ(hello.routes[1].ToString(), "*/hello/*");
  EXPECT_EQ(hello.settings.memory_mb, 32u);
  EXPECT_EQ(hello.settings.cpu_ms, 10u);
  EXPECT_EQ(hello.settings.wall_ms, 1000u);
  EXPECT_EQ(hello.settings.subrequests, 0u);
  EXPECT_EQ(hello.settings.max_request_body, 4096u);
  EXPECT_EQ(hello.settings.cache_mb, 3u);
  EXPECT_EQ(hello.settings.context, ContextMode::kShared);
  EXPECT_EQ(hello.Bindings("vars"), (std::vector<NamedValue>{{"GREETING", "hi"}, {"A_FIRST", "second in file order"}}));
  EXPECT_EQ(hello.Bindings("secrets"), (std::vector<NamedValue>{{"API_KEY", "s3cret"}}));
  EXPECT_EQ(hello.Bindings("kv"), (std::vector<NamedValue>{{"STORE", "hello-store"}}));
  EXPECT_EQ(hello.Bindings("wasm"), (std::vector<NamedValue>{{"IMG", (dir_ / "img.wasm").string()}}));
  EXPECT_EQ(hello.Bindings("services"), (std::vector<NamedValue>{{"AUTH", "auth"}}));
  EXPECT_EQ(hello.outbound, (std::vector<std::string>{"api.example.com", "*.trusted.net", "db.internal:5432",
                                                      "10.0.0.1", "10.0.0.2:80", "[::1]:8080"}));
  EXPECT_EQ(hello.compatibility_flags, (std::vector<std::string>{"nodejs_compat", "streams_enable_constructors"}));

  const TenantConfig& auth = config->tenants[1];
  EXPECT_EQ(auth.name, "auth");
  EXPECT_TRUE(auth.routes.empty());
  EXPECT_EQ(auth.settings.memory_mb, 256u);  // inherited
  EXPECT_EQ(auth.settings.cache_mb, 64u);  // the default
  EXPECT_EQ(auth.settings.context, ContextMode::kPerRequest);
}

// The parser fills base/limits.h's structs: what a key leaves unset is limits.h's default.
TEST_F(ConfigTest, UnsetKeysKeepTheLimitsStructsDefaults) {
  absl::StatusOr<Config> config = Parse("[server]\nmax_connections = 7\n[defaults]\ncpu_ms = 9\n");
  ASSERT_TRUE(config.ok()) << config.status();
  const limits::TenantLimits tenant;
  EXPECT_EQ(config->defaults.cpu_ms, 9u);
  EXPECT_EQ(config->defaults.memory_mb, tenant.memory_mb);
  EXPECT_EQ(config->defaults.startup_cpu_ms, tenant.startup_cpu_ms);
  EXPECT_EQ(config->defaults.max_request_body, tenant.max_request_body);
  EXPECT_EQ(config->server.pool.max_isolates, limits::PoolLimits().max_isolates);
  EXPECT_EQ(config->server.prewarm_mb, 0u) << "prewarm is off unless asked for";
  EXPECT_EQ(config->server.code_cache.memory_mb, 64u);
  EXPECT_EQ(config->server.code_cache.disk_mb, 1024u);
  EXPECT_EQ(config->server.pool.idle_before_deep_reduce_ms, 10000u);
  EXPECT_EQ(config->server.pool.heap_slack_mb, limits::PoolLimits().heap_slack_mb);
  EXPECT_EQ(config->server.connection.max_connections, 7u);
  EXPECT_EQ(config->server.connection.header_timeout_ms, limits::ConnectionLimits().header_timeout_ms);
}

TEST_F(ConfigTest, SandboxIsOnUnlessTurnedOff) {
  std::string base = "[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"*/*\"]\n";
  absl::StatusOr<Config> on = Parse(base);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->server.sandbox);
  absl::StatusOr<Config> off = Parse("[server]\nsandbox = false\n" + base);
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->server.sandbox);
  EXPECT_TRUE(ErrorAt("[server]\nsandbox = \"no\"\n" + base, 2, "server.sandbox"));
}

TEST_F(ConfigTest, IsolationIsSharedOrProcess) {
  std::string base = "[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"*/*\"]\n";
  absl::StatusOr<Config> shared = Parse(base);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_FALSE(shared->tenants[0].settings.process_isolation);
  absl::StatusOr<Config> process = Parse(base + "isolation = \"process\"\n");
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_TRUE(process->tenants[0].settings.process_isolation);
  absl::Status auto_ok = Parse(base + "isolation = \"auto\"\n").status();
  EXPECT_TRUE(auto_ok.ok()) << auto_ok;
  EXPECT_TRUE(Parse(base + "isolation = \"auto\"\n")->tenants[0].settings.auto_isolation);
  EXPECT_TRUE(ErrorAt(base + "isolation = \"separate\"\n", 5, "tenants[0].isolation", "expected \"shared\", \"process\" or \"auto\""));
  EXPECT_TRUE(ErrorAt(base + "isolation = true\n", 5, "tenants[0].isolation"));
}

TEST_F(ConfigTest, CfHeaderIsALowerCasedHeaderNameTheServerDoesNotOwn) {
  absl::StatusOr<Config> config = Parse("[server]\ncf_header = \"X-Atoll-CF\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.cf_header, "x-atoll-cf");
  EXPECT_EQ(Parse("")->server.cf_header, "") << "no header is trusted by default";
  EXPECT_TRUE(ErrorAt("[server]\ncf_header = \"x edge\"\n", 2, "server.cf_header", "is not a header name"));
  EXPECT_TRUE(ErrorAt("[server]\ncf_header = \"\"\n", 2, "server.cf_header", "expected a header name"));
  EXPECT_TRUE(ErrorAt("[server]\ncf_header = \"Content-Length\"\n", 2, "server.cf_header", "a header the server reads itself"));
  EXPECT_TRUE(ErrorAt("[server]\ncf_header = 1\n", 2, "server.cf_header", "string"));
}

TEST_F(ConfigTest, AServiceBindingNamesATenantAndOptionallyAnEntrypoint) {
  absl::StatusOr<Config> config = Parse(R"([[tenants]]
name = "a"
script = "hello.js"
[tenants.services]
PLAIN = "a"
ADMIN = { service = "a", entrypoint = "AdminApi" }
)");
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<std::string> values;
  for (const EnvBinding& binding : config->tenants[0].env) values.push_back(binding.name + "=" + binding.value);
  EXPECT_EQ(values, (std::vector<std::string>{"PLAIN=a", "ADMIN=a#AdminApi"}));
  EXPECT_EQ(SplitServiceBinding("a#AdminApi"), (std::pair<std::string_view, std::string_view>{"a", "AdminApi"}));
  EXPECT_EQ(SplitServiceBinding("a"), (std::pair<std::string_view, std::string_view>{"a", ""}));
}

TEST_F(ConfigTest, ClusterPostgresIsAConnectionString) {
  absl::StatusOr<Config> config = Parse("[cluster]\npostgres = \"postgresql://atoll@127.0.0.1:5432/atoll\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster.postgres, "postgresql://atoll@127.0.0.1:5432/atoll");
  EXPECT_EQ(Parse("")->cluster.postgres, "") << "KV on SQLite by default";
  EXPECT_TRUE(ErrorAt("[cluster]\npostgres = \"\"\n", 2, "cluster.postgres", "the connection string is empty"));
  EXPECT_TRUE(ErrorAt("[cluster]\npostgres = 5\n", 2, "cluster.postgres", "expected a string"));
  EXPECT_TRUE(ErrorAt("[cluster]\npostgress = \"x\"\n", 2, "cluster.postgress", "unknown key"));
}

TEST_F(ConfigTest, EmptyFileGivesTheDefaults) {
  absl::StatusOr<Config> config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].ToString(), "127.0.0.1:8080");
  EXPECT_EQ(config->server.workers, 0u);
  EXPECT_FALSE(config->server.admin_listen.has_value());
  EXPECT_EQ(config->server.admin_token_env, "ATOLL_ADMIN_TOKEN");
  EXPECT_EQ(config->server.data_dir, dir_ / "atoll-data");
  EXPECT_EQ(config->server.pool.max_isolates, 2000u);
  EXPECT_EQ(config->server.connection.drain_ms, 10000u);
  EXPECT_FALSE(config->server.tls.has_value());
  EXPECT_EQ(config->defaults.memory_mb, 128u);
  EXPECT_EQ(config->defaults.cpu_ms, 50u);
  EXPECT_EQ(config->defaults.wall_ms, 30000u);
  EXPECT_EQ(config->defaults.subrequests, 50u);
  EXPECT_EQ(config->defaults.max_request_body, 10u << 20);
  EXPECT_EQ(config->defaults.context, ContextMode::kShared);
  EXPECT_TRUE(config->tenants.empty());
}

TEST_F(ConfigTest, ListenAsOneStringAndWorkersAuto) {
  absl::StatusOr<Config> config = Parse("[server]\nlisten = \"0.0.0.0:9000\"\nworkers = \"auto\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].ToString(), "0.0.0.0:9000");
  EXPECT_EQ(config->server.workers, 0u);
}

TEST_F(ConfigTest, TenantsInheritDefaultsAndOverrideSome) {
  absl::StatusOr<Config> config = Parse(R"toml(
[[tenants]]
name = "a"
script = "hello.js"
cpu_ms = 5

[defaults]   # after the tenants in the file: still applies to all of them
memory_mb = 64
cpu_ms = 20
max_request_body = "2KB"

[[tenants]]
name = "b"
script = "hello.js"
memory_mb = 512
context = "per_request"
)toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants.size(), 2u);
  const TenantSettings& a = config->tenants[0].settings;
  const TenantSettings& b = config->tenants[1].settings;
  EXPECT_EQ(a.memory_mb, 64u);
  EXPECT_EQ(a.cpu_ms, 5u);
  EXPECT_EQ(a.max_request_body, 2048u);
  EXPECT_EQ(a.wall_ms, 30000u);
  EXPECT_EQ(a.context, ContextMode::kShared);
  EXPECT_EQ(b.memory_mb, 512u);
  EXPECT_EQ(b.cpu_ms, 20u);
  EXPECT_EQ(b.max_request_body, 2048u);
  EXPECT_EQ(b.context, ContextMode::kPerRequest);
  EXPECT_EQ(config->defaults.memory_mb, 64u);
}

TEST_F(ConfigTest, VarsOfAnyTypeAndNamesThatAreNotIdentifiersAndCrons) {
  absl::StatusOr<Config> config = Parse(
      "[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n"
      "[tenants.vars]\nS = \"text\"\nLIMIT = 5\nRATIO = 0.5\nON = true\n\"MY-VAR\" = \"x\"\n"
      "OBJ = { list = [1, \"two\"], \"q\\\"k\" = { deep = false } }\n"
      "[tenants.triggers]\ncrons = [\"*/5 * * * *\", \"0 9 * * MON-FRI\"]\n");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::vector<EnvBinding>& env = config->tenants[0].env;
  ASSERT_EQ(env.size(), 6u);
  EXPECT_EQ(env[0], (EnvBinding{"vars", "S", "text", false}));
  EXPECT_EQ(env[1], (EnvBinding{"vars", "LIMIT", "5", true}));
  EXPECT_EQ(env[2], (EnvBinding{"vars", "RATIO", "0.5", true}));
  EXPECT_EQ(env[3], (EnvBinding{"vars", "ON", "true", true}));
  EXPECT_EQ(env[4], (EnvBinding{"vars", "MY-VAR", "x", false}));
  EXPECT_EQ(env[5], (EnvBinding{"vars", "OBJ", "{\"list\":[1,\"two\"],\"q\\\"k\":{\"deep\":false}}", true}));
  EXPECT_EQ(config->tenants[0].crons, (std::vector<std::string>{"*/5 * * * *", "0 9 * * MON-FRI"}));
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheConfigFolder) {
  Write("scripts/app.js", "x");
  Write("mods/m.wasm", "x");
  Write("etc/atoll.toml", R"toml(
[server]
data_dir = "../var/./data"
[server.tls]
cert = "../cert.pem"
key = "../key.pem"
[[server.tls.certificates]]
hosts = ["A.test", "*.b.test"]
cert = "../cert.pem"
key = "../key.pem"
[[tenants]]
name = "app"
script = "../scripts/./app.js"
[tenants.wasm]
M = "../mods/m.wasm"
)toml");
  absl::StatusOr<Config> config = LoadConfigFile(dir_ / "etc" / "atoll.toml", ProcessEnv());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->path, dir_ / "etc" / "atoll.toml");
  EXPECT_EQ(config->server.data_dir, dir_ / "var" / "data");
  EXPECT_EQ(config->server.tls->cert, dir_ / "cert.pem");
  ASSERT_EQ(config->server.tls->certificates.size(), 1u);
  EXPECT_EQ(config->server.tls->certificates[0].hosts, (std::vector<std::string>{"a.test", "*.b.test"}));
  EXPECT_EQ(config->server.tls->certificates[0].cert, dir_ / "cert.pem");
  EXPECT_EQ(config->server.tls->certificates[0].key, dir_ / "key.pem");
  EXPECT_EQ(config->tenants[0].script, dir_ / "scripts" / "app.js");
  EXPECT_EQ(config->tenants[0].Bindings("wasm")[0].second, (dir_ / "mods" / "m.wasm").string());
  EXPECT_TRUE(config->tenants[0].script.is_absolute());

  // Absolute paths are kept (normalized).
  absl::StatusOr<Config> absolute =
      Parse(StrCat("[[tenants]]\nname = \"a\"\nscript = \"", (dir_ / "scripts" / ".." / "hello.js").string(), "\"\n"));
  ASSERT_TRUE(absolute.ok()) << absolute.status();
  EXPECT_EQ(absolute->tenants[0].script, dir_ / "hello.js");
}

TEST_F(ConfigTest, AThousandTenants) {
  std::string text = "[defaults]\ncpu_ms = 20\n";
  for (int i = 0; i < 1000; ++i) {
    StrAppend(&text, "\n[[tenants]]\nname = \"t", i, "\"\nscript = \"hello.js\"\nroutes = [\"t", i,
              ".example.com/*\", \"*/t", i, "/*\"]\n");
    if (i > 0) StrAppend(&text, "[tenants.services]\nPREV = \"t", i - 1, "\"\n");
  }
  absl::StatusOr<Config> config = Parse(text);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants.size(), 1000u);
  EXPECT_EQ(config->tenants[999].name, "t999");
  EXPECT_EQ(config->tenants[999].routes[1].ToString(), "*/t999/*");
  EXPECT_EQ(config->tenants[999].Bindings("services")[0].second, "t998");
  EXPECT_EQ(config->tenants[500].settings.cpu_ms, 20u);
}

// The tenant key `rules`: wrangler's module rules (module_rules.h), in file order.
TEST_F(ConfigTest, ModuleRules) {
  absl::StatusOr<Config> config = Parse(R"toml(
[[tenants]]
name = "a"
script = "hello.js"
rules = [{type = "Text", globs = ["**/*.md", "**/*.csv"], fallthrough = true}, {type = "Data", globs = ["**/*.dat"]}]
)toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::vector<ModuleRule>& rules = config->tenants[0].rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].type, ModuleType::kText);
  EXPECT_EQ(rules[0].globs, (std::vector<std::string>{"**/*.md", "**/*.csv"}));
  EXPECT_TRUE(rules[0].fallthrough);
  EXPECT_EQ(rules[1].type, ModuleType::kData);
  EXPECT_FALSE(rules[1].fallthrough);
}

}  // namespace
}  // namespace atl::config
