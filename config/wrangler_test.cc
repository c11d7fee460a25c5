#include "config/wrangler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "base/strings.h"

namespace atl::config {
namespace {

namespace fs = std::filesystem;
using base::StrCat;

class WranglerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           StrCat("atoll_wrangler_", getpid(), "_", testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("src/index.js", "import { x } from './x.js';\nexport default { fetch() { return new Response(x) } }\n");
    Write("src/x.js", "export const x = 'x';\n");
    Write("auth.js", "export default { fetch() { return new Response('ok') } }\n");
    Write("m.wasm", "\0asm");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& relative, std::string_view text) {
    fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // The error of loading `text` as wrangler.toml (or `name`), which must fail.
  std::string ErrorOf(std::string_view text, const std::string& name = "wrangler.toml") {
    std::string file = Write(name, text);
    absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
    if (config.ok()) return "<loaded fine>";
    return std::string(base::ToStd(config.status().message()));
  }

  fs::path dir_;
};

TEST_F(WranglerTest, TomlBecomesOneTenant) {
  std::string file = Write("wrangler.toml", R"(
name = "shop"
main = "src/index.js"
compatibility_date = "2024-09-23"
compatibility_flags = ["nodejs_compat"]
account_id = "abc"
routes = ["shop.example.com/*", { pattern = "api.example.com/v1/*", zone_name = "example.com" }, { pattern = "my.example.com", custom_domain = true }]
[vars]
GREETING = "hi"
LIMIT = 5
RATIO = 1.5
OBJ = { a = [1, 2], b = { c = false } }
[[kv_namespaces]]
binding = "STORE"
id = "0F2AC74B498B48028CB68387C421E279"
preview_id = "ignored"
[wasm_modules]
M = "m.wasm"
[triggers]
crons = ["*/5 * * * *"]
[limits]
cpu_ms = 20
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants.size(), 1u);
  const TenantConfig& t = config->tenants[0];
  EXPECT_EQ(t.name, "shop");
  EXPECT_EQ(t.script, dir_ / "src/index.js");
  ASSERT_EQ(t.routes.size(), 3u);
  EXPECT_EQ(t.routes[0].ToString(), "shop.example.com/*");
  EXPECT_EQ(t.routes[1].ToString(), "api.example.com/v1/*");
  EXPECT_EQ(t.routes[2].ToString(), "my.example.com/*");
  EXPECT_EQ(t.compatibility_flags, std::vector<std::string>{"nodejs_compat"});
  EXPECT_EQ(t.crons, std::vector<std::string>{"*/5 * * * *"});
  EXPECT_EQ(t.settings.cpu_ms, 20u);
  std::vector<EnvBinding> expected = {
      {"vars", "GREETING", "hi", false},
      {"vars", "LIMIT", "5", true},
      {"vars", "RATIO", "1.5", true},
      {"vars", "OBJ", "{\"a\":[1,2],\"b\":{\"c\":false}}", true},
      {"kv", "STORE", "0f2ac74b498b48028cb68387c421e279", false},
      {"wasm", "M", (dir_ / "m.wasm").string(), false},
  };
  EXPECT_EQ(t.env, expected);
  EXPECT_EQ(config->server.workers, 1u);
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].ToString(), "127.0.0.1:8787");  // wrangler dev's default
  EXPECT_EQ(config->server.data_dir, dir_ / ".wrangler/atoll");
  // The same file named by a relative path: the same absolute folders.
  absl::StatusOr<Config> relative =
      LoadWranglerFiles({fs::relative(file).string()}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(relative.ok()) << relative.status();
  EXPECT_EQ(relative->server.data_dir, dir_ / ".wrangler/atoll");
  EXPECT_EQ(relative->tenants[0].script, dir_ / "src/index.js");
}

TEST_F(WranglerTest, JsoncWithCommentsAndTrailingCommasAndSeveralFiles) {
  std::string a = Write("a/wrangler.jsonc", R"({
  // line comment with "quotes" and a , before }
  "dev": { "port": 9001, "local_protocol": "http" },
  "name": "front", /* block
  comment */ "main": "../src/index.js",
  "vars": { "URL": "http://x/*not a comment*/", "N": 2, },
  "services": [ { "binding": "AUTH", "service": "auth", }, ],
})");
  std::string b = Write("b/wrangler.json", R"({"name": "auth", "main": "../auth.js"})");
  absl::StatusOr<Config> config = LoadWranglerFiles({a, b}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants.size(), 2u);
  EXPECT_EQ(config->tenants[0].script, dir_ / "src/index.js");
  EXPECT_EQ(config->tenants[0].env[0], (EnvBinding{"vars", "URL", "http://x/*not a comment*/", false}));
  EXPECT_EQ(config->tenants[0].env[1], (EnvBinding{"vars", "N", "2", true}));
  EXPECT_EQ(config->tenants[0].env[2], (EnvBinding{"services", "AUTH", "auth", false}));
  // The first file gets every route when it names none; the others are reached through services.
  ASSERT_EQ(config->tenants[0].routes.size(), 1u);
  EXPECT_EQ(config->tenants[0].routes[0].ToString(), "*/*");
  EXPECT_TRUE(config->tenants[1].routes.empty());
  EXPECT_EQ(config->server.listen[0].ToString(), "127.0.0.1:9001");
}

// `rules` is the tenant key of module rules (another part of issue 14): passed on as written.
TEST_F(WranglerTest, DurableObjectBindingsAndMigrations) {
  Write("src/index.js", "export default {}");
  std::string file = Write("wrangler.toml", R"(name = "chat"
main = "src/index.js"
[[durable_objects.bindings]]
name = "ROOM"
class_name = "ChatRoom"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["ChatRoom"]
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants[0].env.size(), 1u);
  EXPECT_EQ(config->tenants[0].env[0], (EnvBinding{"durable_objects", "ROOM", "ChatRoom", false}));
  std::string other = Write("other/wrangler.toml", R"(name = "x"
main = "../src/index.js"
[[durable_objects.bindings]]
name = "ROOM"
class_name = "ChatRoom"
script_name = "elsewhere"
)");
  absl::StatusOr<Config> refused = LoadWranglerFiles({other}, [](std::string_view) { return std::nullopt; });
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("script_name"), std::string_view::npos) << refused.status();
}

TEST_F(WranglerTest, WorkflowBindings) {
  Write("src/index.js", "export default {}");
  std::string file = Write("wrangler.toml", R"(name = "shop"
main = "src/index.js"
[[workflows]]
name = "order-flow"
binding = "ORDERS"
class_name = "OrderFlow"
[[workflows]]
name = "mail"
binding = "MAIL"
class_name = "MailFlow"
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants[0].env.size(), 2u);
  EXPECT_EQ(config->tenants[0].env[0], (EnvBinding{"workflows", "ORDERS", "OrderFlow", false}));
  EXPECT_EQ(config->tenants[0].env[1], (EnvBinding{"workflows", "MAIL", "MailFlow", false}));
  for (auto [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[[workflows]]\nbinding = \"W\"\nclass_name = \"F\"\nscript_name = \"other\"\n", "script_name"},
           {"[[workflows]]\nbinding = \"W\"\n", "class_name"},
           {"[[workflows]]\nbinding = \"W\"\nclass_name = \"9Flow\"\n", "not a class name"},
           {"workflows = 3\n", "expected an array"}}) {
    std::string bad = Write("bad/wrangler.toml", "name = \"x\"\nmain = \"../src/index.js\"\n" + text);
    absl::StatusOr<Config> refused = LoadWranglerFiles({bad}, [](std::string_view) { return std::nullopt; });
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(expected), std::string_view::npos) << refused.status();
    EXPECT_NE(refused.status().message().find("workflows"), std::string_view::npos) << refused.status();
  }
}

TEST_F(WranglerTest, D1DatabasesWithTheirMigrations) {
  Write("src/index.js", "export default {}");
  Write("migrations/0001_a.sql", "CREATE TABLE a (x);\n");
  Write("migrations/0002_b.sql", "CREATE TABLE b (\"y\");\n");
  Write("other/0001_c.sql", "CREATE TABLE c (z);\n");
  std::string file = Write("wrangler.toml", R"(name = "shop"
main = "src/index.js"
[[d1_databases]]
binding = "DB"
database_name = "shop-db"
database_id = "0f7b2a4c-1111-4222-8333-944455556666"
preview_database_id = "x"
[[d1_databases]]
binding = "OTHER"
database_id = "abc-123"
migrations_dir = "other"
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants[0].env.size(), 2u);
  // The default folder "migrations" next to the file, then migrations_dir: their .sql files in order.
  EXPECT_EQ(config->tenants[0].env[0],
            (EnvBinding{"d1", "DB",
                        R"({"name":"shop-db","migrations":[["0001_a.sql","CREATE TABLE a (x);\n"],["0002_b.sql","CREATE TABLE b (\"y\");\n"]]})",
                        false}));
  EXPECT_EQ(config->tenants[0].env[1],
            (EnvBinding{"d1", "OTHER", R"({"name":"abc-123","migrations":[["0001_c.sql","CREATE TABLE c (z);\n"]]})", false}));
  for (auto [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[[d1_databases]]\nbinding = \"DB\"\n", "database_name"},
           {"[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"a b\"\n", "not a database name"},
           {"[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"x\"\nmigrations_dir = \"nowhere\"\n", "is not a folder"},
           {"[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"x\"\nremote = true\n", "remote"}}) {
    std::string bad = Write("bad/wrangler.toml", "name = \"x\"\nmain = \"../src/index.js\"\n" + text);
    absl::StatusOr<Config> refused = LoadWranglerFiles({bad}, [](std::string_view) { return std::nullopt; });
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(expected), std::string_view::npos) << refused.status();
    EXPECT_NE(refused.status().message().find("d1_databases"), std::string_view::npos) << refused.status();
  }
}

TEST_F(WranglerTest, R2BucketsByName) {
  Write("src/index.js", "export default {}");
  std::string file = Write("wrangler.toml", R"(name = "photos"
main = "src/index.js"
[[r2_buckets]]
binding = "PHOTOS"
bucket_name = "photos-prod"
preview_bucket_name = "photos-preview"
jurisdiction = "eu"
[[r2_buckets]]
binding = "LOGS"
bucket_name = "logs"
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants[0].env.size(), 2u);
  EXPECT_EQ(config->tenants[0].env[0], (EnvBinding{"r2", "PHOTOS", "photos-prod", false}));
  EXPECT_EQ(config->tenants[0].env[1], (EnvBinding{"r2", "LOGS", "logs", false}));
  for (auto [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[[r2_buckets]]\nbinding = \"B\"\n", "r2_buckets[0]: missing required key \"bucket_name\""},
           {"[[r2_buckets]]\nbucket_name = \"b\"\n", "r2_buckets[0]: missing required key \"binding\""},
           {"[[r2_buckets]]\nbinding = \"B\"\nbucket_name = \"Not_A_Bucket\"\n", "r2_buckets (binding B): \"Not_A_Bucket\" is not a bucket name"},
           {"[[r2_buckets]]\nbinding = \"B\"\nbucket_name = \"b\"\nremote = true\n", "r2_buckets[0].remote: unknown or unsupported key"},
           {"r2_buckets = { binding = \"B\" }\n", "r2_buckets: expected an array"}}) {
    std::string bad = Write("bad/wrangler.toml", "name = \"x\"\nmain = \"../src/index.js\"\n" + text);
    absl::StatusOr<Config> refused = LoadWranglerFiles({bad}, [](std::string_view) { return std::nullopt; });
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(expected), std::string_view::npos) << refused.status();
    EXPECT_NE(refused.status().message().find("wrangler.toml: "), std::string_view::npos) << refused.status();
  }
}

TEST_F(WranglerTest, QueuesProducersAndConsumers) {
  Write("src/index.js", "export default {}");
  std::string file = Write("wrangler.toml", R"(name = "jobs"
main = "src/index.js"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[queues.consumers]]
queue = "jobs"
max_batch_size = 5
dead_letter_queue = "jobs-dlq"
type = "worker"
visibility_timeout_ms = 100
[[queues.consumers]]
queue = "jobs-dlq"
)");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tenants[0].env.size(), 3u);
  EXPECT_EQ(config->tenants[0].env[0], (EnvBinding{"queues", "JOBS", "jobs", false}));
  EXPECT_EQ(config->tenants[0].env[1],
            (EnvBinding{"queue_consumers", "jobs",
                        R"({"queue":"jobs","max_batch_size":5,"max_batch_timeout":5,"max_retries":3,"retry_delay":0,"max_concurrency":1,"dead_letter_queue":"jobs-dlq"})",
                        false}));
  EXPECT_EQ(config->tenants[0].env[2].name, "jobs-dlq");
  for (auto [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[[queues.producers]]\nbinding = \"Q\"\n", "expected binding and queue"},
           {"[[queues.producers]]\nbinding = \"Q\"\nqueue = \"q\"\ndelivery_delay = 5\n", "delivery_delay is not supported"},
           {"[[queues.producers]]\nbinding = \"Q\"\nqueue = \"a queue\"\n", "not a queue name"},
           {"[[queues.consumers]]\nqueue = \"q\"\ntype = \"http_pull\"\n", "\"http_pull\" is not supported"},
           {"[[queues.consumers]]\nqueue = \"q\"\nmax_batch_size = 500\n", "max_batch_size"},
           {"queues = 3\n", "expected a table of producers and consumers"}}) {
    std::string bad = Write("bad/wrangler.toml", "name = \"x\"\nmain = \"../src/index.js\"\n" + text);
    absl::StatusOr<Config> refused = LoadWranglerFiles({bad}, [](std::string_view) { return std::nullopt; });
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(expected), std::string_view::npos) << refused.status();
    EXPECT_NE(refused.status().message().find("queues"), std::string_view::npos) << refused.status();
  }
}

TEST_F(WranglerTest, RulesArePassedOnVerbatim) {
  std::string file = Write("wrangler.toml", R"(name = "w"
main = "src/index.js"
[[rules]]
type = "Text"
globs = ["**/*.txt", "**/*.html"]
fallthrough = true
)");
  absl::StatusOr<std::string> toml = WranglerToToml({file});
  ASSERT_TRUE(toml.ok()) << toml.status();
  EXPECT_NE(toml->find("\n\"rules\" = [{ \"type\" = \"Text\", \"globs\" = [\"**/*.txt\", \"**/*.html\"], \"fallthrough\" = true }]\n"),
            std::string::npos)
      << *toml;
}

// wrangler dev's local secrets: .dev.vars next to the file, over [vars] of the same name.
TEST_F(WranglerTest, DevVarsAreStringVarsOverVars) {
  Write("p/.dev.vars", "# local secrets\nAPI_KEY=abc123\nexport QUOTED = \"two\\nlines\"\nSINGLE='a # b'\nLIMIT=7\n");
  Write("p/index.js", "export default { fetch() { return new Response('x') } }\n");
  std::string file = Write("p/wrangler.toml", "name = \"w\"\nmain = \"index.js\"\n[vars]\nLIMIT = 5\nKEEP = true\n");
  absl::StatusOr<Config> config = LoadWranglerFiles({file}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<EnvBinding> expected = {
      {"vars", "KEEP", "true", true},
      {"vars", "API_KEY", "abc123", false},
      {"vars", "QUOTED", "two\nlines", false},
      {"vars", "SINGLE", "a # b", false},
      {"vars", "LIMIT", "7", false},
  };
  EXPECT_EQ(config->tenants[0].env, expected);
  // Without [vars] too.
  std::string bare = Write("p/wrangler.toml", "name = \"w\"\nmain = \"index.js\"\n");
  config = LoadWranglerFiles({bare}, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tenants[0].env.size(), 4u);
  Write("p/.dev.vars", "NOEQUALS\n");
  config = LoadWranglerFiles({bare}, [](std::string_view) { return std::nullopt; });
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(".dev.vars:1: expected KEY=VALUE"), std::string_view::npos);
}

// wrangler's environments: ignored without --env; with it, [env.NAME] over the top level, the
// bindings and vars its own only, the name NAME-ENV, .dev.vars.ENV.
TEST_F(WranglerTest, EnvironmentsAreSelectedWithEnv) {
  Write("e/index.js", "export default {}");
  Write("e/staging.js", "export default {}");
  Write("e/.dev.vars", "SECRET=dev\n");
  Write("e/.dev.vars.staging", "SECRET=staging\n");
  std::string file = Write("e/wrangler.toml", R"(name = "shop"
main = "index.js"
compatibility_flags = ["nodejs_compat"]
[vars]
MODE = "top"
[[kv_namespaces]]
binding = "CACHE"
id = "top-cache"
[env.staging]
main = "staging.js"
vars = { MODE = "staging" }
kv_namespaces = [{ binding = "CACHE", id = "staging-cache" }]
[env.production]
name = "shop-live"
routes = ["shop.example/*"]
)");
  auto none = [](std::string_view) { return std::nullopt; };
  absl::StatusOr<Config> top = LoadWranglerFiles({file}, none);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->tenants[0].name, "shop");
  EXPECT_EQ(top->tenants[0].script.filename(), "index.js");
  EXPECT_EQ(top->tenants[0].env, (std::vector<EnvBinding>{{"vars", "MODE", "top", false},
                                                           {"vars", "SECRET", "dev", false},
                                                           {"kv", "CACHE", "top-cache", false}}));
  absl::StatusOr<Config> staging = LoadWranglerFiles({file}, none, "staging");
  ASSERT_TRUE(staging.ok()) << staging.status();
  EXPECT_EQ(staging->tenants[0].name, "shop-staging");
  EXPECT_EQ(staging->tenants[0].script.filename(), "staging.js");
  EXPECT_EQ(staging->tenants[0].compatibility_flags, (std::vector<std::string>{"nodejs_compat"}));  // inherited
  EXPECT_EQ(staging->tenants[0].env, (std::vector<EnvBinding>{{"vars", "MODE", "staging", false},
                                                               {"vars", "SECRET", "staging", false},
                                                               {"kv", "CACHE", "staging-cache", false}}));
  absl::StatusOr<Config> production = LoadWranglerFiles({file}, none, "production");
  ASSERT_TRUE(production.ok()) << production.status();
  EXPECT_EQ(production->tenants[0].name, "shop-live");
  // Not inherited: no vars but .dev.vars', no KV namespace.
  EXPECT_EQ(production->tenants[0].env, (std::vector<EnvBinding>{{"vars", "SECRET", "dev", false}}));
  absl::StatusOr<Config> missing = LoadWranglerFiles({file}, none, "qa");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("env.qa: no such environment (--env qa; the file has production, staging)"),
            std::string_view::npos)
      << missing.status();
}

TEST_F(WranglerTest, StripJsonc) {
  EXPECT_EQ(StripJsonc("{\"a\": [1, 2,], // c\n\"b\": \"//x\", /* y */}"), "{\"a\": [1, 2], \n\"b\": \"//x\"  }");
  EXPECT_EQ(StripJsonc("[\"a\\\"//,]\",]"), "[\"a\\\"//,]\"]");
}

TEST_F(WranglerTest, ErrorsNameTheFileAndKey) {
  const std::string head = "name = \"w\"\nmain = \"src/index.js\"\n";
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {head + "[[vectorize]]\nbinding = \"V\"\n", "wrangler.toml: vectorize: unknown or unsupported key \"vectorize\""},
      {head + "[[r2_buckets]]\nbinding = \"B\"\n", "wrangler.toml: r2_buckets[0]: missing required key \"bucket_name\""},
      {head + "env = 5\n", "wrangler.toml: env: expected a table of environments"},
      {head + "[[kv_namespaces]]\nbinding = \"K\"\nid = \"not/an id\"\n",
       "wrangler.toml: kv_namespaces[0].id: \"not/an id\" cannot name an atoll KV namespace"},
      {head + "[[kv_namespaces]]\nbinding = \"K\"\n", "wrangler.toml: kv_namespaces[0]: missing required key \"id\""},
      {head + "[[services]]\nbinding = \"S\"\nservice = \"w\"\nentrypoint = \"not an export\"\n",
       "entrypoint \"not an export\" is not the name of an export"},
      {head + "[[services]]\nbinding = \"S\"\nservice = \"w\"\nentrypoint = 5\n",
       "wrangler.toml: services[0].entrypoint: unknown or unsupported key"},
      {head + "[[services]]\nbinding = \"S\"\nservice = \"nobody\"\n", "wrangler.toml: services (binding S): "},
      {head + "[wasm_modules]\nM = \"missing.wasm\"\n", "wrangler.toml: wasm_modules.M: "},
      {head + "[triggers]\ncrons = [\"* * * *\"]\n", "wrangler.toml: triggers.crons[0]: cron \"* * * *\": expected 5 fields"},
      {head + "[limits]\nmemory_mb = 5\n", "wrangler.toml: limits.memory_mb: unknown key (expected cpu_ms)"},
      {head + "routes = [{ zone_name = \"x.com\" }]\n", "wrangler.toml: routes[0]: missing required key \"pattern\""},
      {"main = \"src/index.js\"\n", "wrangler.toml: name: missing required key \"name\""},
      {"name = \"w\"\n", "wrangler.toml: main: missing required key \"main\""},
      {"name = \"W\"\nmain = \"src/index.js\"\n", "wrangler.toml: name: tenant name \"W\" must match"},
      {"name = \"w\"\nmain = \"src/missing.js\"\n", "main: file \""},
      {"name = \"w\"\nmain = \"src/index.js\"\nvars = 5\n", "wrangler.toml: vars: expected a table"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorOf(c.text);
    EXPECT_NE(error.find(c.message), std::string::npos) << "expected: " << c.message << "\n got: " << error;
  }
  EXPECT_NE(ErrorOf("{\"name\": \"w\", \"main\": \"src/index.js\", \"vars\": {\"X\": null}}", "wrangler.json")
                .find("wrangler.json: null is not a value here"),
            std::string::npos);
}

TEST_F(WranglerTest, MainThatNeedsBundlingIsRefusedWithTheCommand) {
  Write("src/app.ts", "export default {}\n");
  std::string ts = ErrorOf("name = \"w\"\nmain = \"src/app.ts\"\n");
  EXPECT_NE(ts.find("main: \"src/app.ts\" needs bundling (it is TypeScript)"), std::string::npos) << ts;
  EXPECT_NE(ts.find("npx esbuild@0.28.2 src/app.ts --bundle --format=esm --conditions=workerd,worker,browser "
                    "--external:node:* --external:cloudflare:* --outfile=dist/app.js"),
            std::string::npos)
      << ts;
  Write("src/bare.js", "import { Hono } from \"hono\";\nimport { Buffer } from 'node:buffer';\nexport default new Hono();\n");
  std::string bare = ErrorOf("name = \"w\"\nmain = \"src/bare.js\"\n");
  EXPECT_NE(bare.find("it imports the npm package \"hono\""), std::string::npos) << bare;
  // Relative, node: and cloudflare: imports need nothing.
  Write("src/ok.js", "import a from './x.js';\nimport { Buffer } from \"node:buffer\";\nimport { env } from 'cloudflare:workers';\n"
                     "const important = 1; // from 'comment-ish'\nexport default {};\n");
  EXPECT_EQ(ErrorOf("name = \"w\"\nmain = \"src/ok.js\"\n").find("needs bundling"), std::string::npos);
}

}  // namespace
}  // namespace atl::config
