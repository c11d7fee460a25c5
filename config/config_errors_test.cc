#include "config/config.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "config/config_test_fixture.h"
#include "config/json_to_toml.h"

namespace atl::config {
namespace {

using base::StrCat;

// Found by fuzz/config_toml_fuzz: a table header whose key starts with a control character
// trips an assertion inside toml++ 3.3.0 (parse_key); our release build (NDEBUG, gcc: the
// assumption compiles to nothing) gets toml++'s own error, which must stay a clean refusal.
TEST_F(ConfigTest, ATableHeaderStartingWithAControlCharacterIsRefused) {
  std::string message = ErrorOf(std::string_view("[\x02", 2));
  EXPECT_NE(message.find("Error while parsing key"), std::string::npos) << message;
  EXPECT_NE(ErrorOf(std::string_view("[server]\n[\\\0", 12)), "<parsed fine>");
}

// Also found by fuzz/config_toml_fuzz: toml++ 3.3.0 reaches __builtin_unreachable() when it asks
// whether a non-ASCII character is whitespace; the places where it asks are screened before it
// parses (config/toml_text.h), and the TOML atoll makes from JSON is ASCII.
TEST_F(ConfigTest, TomlPlusPlusIsOnlyGivenAscii) {
  std::string head = "[server]\nlisten = [\"127.0.0.1:8080\"]\n";
  std::string message = ErrorOf(head + "[[tenants]]\xef\xb9\xbf\n");
  EXPECT_NE(message.find(":3:12: a non-ASCII character outside a string"), std::string::npos) << message;
  message = ErrorOf(head + "x = 'caf\xc3\xa9'\n");
  EXPECT_NE(message.find(":3:9: a non-ASCII character in a 'literal string'"), std::string::npos) << message;
  message = ErrorOf(head + "x = \"\\\xc3\xa9\"\n");
  EXPECT_NE(message.find("after a backslash"), std::string::npos) << message;
  EXPECT_NE(ErrorOf(head + "x = \"\xc3\"\n").find("bytes that are not UTF-8"), std::string::npos);
  // Basic strings (keys and values, multi-line too), comments and a byte order mark keep working.
  std::string fine = "\xef\xbb\xbf# caf\xc3\xa9\n" + head + "# \xc3\xa9\n";
  absl::StatusOr<Config> parsed = Parse(fine + "[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"*/*\"]\n"
                                               "[tenants.vars]\n\"K\xc3\xa9\" = \"caf\xc3\xa9 \xef\xb9\xbf \xf0\x9f\x98\x80\"\n"
                                               "M = \"\"\"a\\\n  \xc3\xa9\"\"\"\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::string out;
  AppendTomlString("a\xef\xb9\xbf" "b\xc3\xa9\xf0\x9f\x98\x80", &out);
  EXPECT_EQ(out, "\"a\\uFE7Fb\\u00E9\\U0001F600\"");
}

TEST_F(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  std::string message = ErrorOf("[server]\nworkers = 1\nlisten = = \"127.0.0.1:80\"\n");
  EXPECT_EQ(message.rfind(StrCat(file_.string(), ":3:10: "), 0), 0u) << message;
  message = ErrorOf("[server\n");
  EXPECT_EQ(message.rfind(StrCat(file_.string(), ":1:"), 0), 0u) << message;
}

TEST_F(ConfigTest, UnknownKeysAtEveryLevel) {
  EXPECT_TRUE(ErrorAt("colour = 1\n", 1, "colour", "unknown key \"colour\""));
  EXPECT_TRUE(ErrorAt("[server]\nlisten = \"127.0.0.1:1\"\nthreads = 2\n", 3, "server.threads", "unknown key"));
  EXPECT_TRUE(ErrorAt("[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nca = \"x\"\n", 4, "server.tls.ca"));
  EXPECT_TRUE(ErrorAt("[defaults]\nmemory = 1\n", 2, "defaults.memory"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroute = []\n", 4, "tenants[0].route"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.secrets]\nK = { env = \"HELLO_API_KEY\", x = 1 }\n",
                      5, "tenants[0].secrets.K.x"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.secrets]\nK = { name = \"HELLO_API_KEY\" }\n",
                      5, "tenants[0].secrets.K.name"));
}

TEST_F(ConfigTest, WrongTypes) {
  EXPECT_TRUE(ErrorAt("server = 1\n", 1, "server", "expected a table, got an integer"));
  EXPECT_TRUE(ErrorAt("[server]\nlisten = 8080\n", 2, "server.listen", "expected a string or an array of strings"));
  EXPECT_TRUE(ErrorAt("[server]\nlisten = [\"127.0.0.1:1\", 2]\n", 2, "server.listen[1]", "expected a string, got an integer"));
  EXPECT_TRUE(ErrorAt("[server]\nworkers = \"many\"\n", 2, "server.workers"));
  EXPECT_TRUE(ErrorAt("[server]\nworkers = 2.5\n", 2, "server.workers", "got a float"));
  EXPECT_TRUE(ErrorAt("[defaults]\ncpu_ms = \"50\"\n", 2, "defaults.cpu_ms", "expected an integer, got a string"));
  EXPECT_TRUE(ErrorAt("[defaults]\nmax_request_body = true\n", 2, "defaults.max_request_body"));
  EXPECT_TRUE(ErrorAt("[defaults]\ncontext = \"global\"\n", 2, "defaults.context", "\"shared\", \"per_request\" or \"per_request_hardened\""));
  EXPECT_TRUE(ErrorAt("[tenants]\nname = \"a\"\n", 1, "tenants", "[[tenants]]"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = \"*/*\"\n", 4, "tenants[0].routes"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"*/*\",\n  7]\n", 5,
                      "tenants[0].routes[1]", "expected a string"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n\n[tenants.kv]\nGREETING = 1\n", 6,
                      "tenants[0].kv.GREETING", "expected a string, got an integer"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.secrets]\nK = \"HELLO_API_KEY\"\n", 5,
                      "tenants[0].secrets.K", "{ env = "));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = 3\n", 2, "tenants[0].name"));
}

TEST_F(ConfigTest, OutOfRangeNumbers) {
  EXPECT_TRUE(ErrorAt("[defaults]\nmemory_mb = 4\n", 2, "defaults.memory_mb", "between 8 and 65536, got 4"));
  EXPECT_TRUE(ErrorAt("[defaults]\nmemory_mb = 65537\n", 2, "defaults.memory_mb"));
  EXPECT_TRUE(ErrorAt("[defaults]\ncpu_ms = 0\n", 2, "defaults.cpu_ms"));
  EXPECT_TRUE(ErrorAt("[defaults]\ncpu_ms = 600001\n", 2, "defaults.cpu_ms"));
  EXPECT_TRUE(ErrorAt("[defaults]\nwall_ms = 3600001\n", 2, "defaults.wall_ms"));
  EXPECT_TRUE(ErrorAt("[defaults]\nsubrequests = -1\n", 2, "defaults.subrequests"));
  EXPECT_TRUE(ErrorAt("[defaults]\nsubrequests = 100001\n", 2, "defaults.subrequests"));
  EXPECT_TRUE(ErrorAt("[defaults]\nmax_request_body = \"10XB\"\n", 2, "defaults.max_request_body", "10XB"));
  EXPECT_TRUE(ErrorAt("[defaults]\nmax_request_body = -5\n", 2, "defaults.max_request_body"));
  EXPECT_TRUE(ErrorAt("[server]\nworkers = 0\n", 2, "server.workers"));
  EXPECT_TRUE(ErrorAt("[server]\nmax_isolates = 0\n", 2, "server.max_isolates"));
  EXPECT_TRUE(ErrorAt("[server]\nprewarm_mb = -1\n", 2, "server.prewarm_mb"));
  EXPECT_TRUE(ErrorAt("[server]\nidle_before_deep_reduce_ms = -1\n", 2, "server.idle_before_deep_reduce_ms"));
  EXPECT_TRUE(ErrorAt("[server]\nidle_before_deep_reduce_ms = 86400001\n", 2, "server.idle_before_deep_reduce_ms"));
  EXPECT_TRUE(ErrorAt("[server]\nidle_before_deep_reduce_ms = \"10s\"\n", 2, "server.idle_before_deep_reduce_ms"));
  EXPECT_TRUE(ErrorAt("[server]\ncode_cache_memory_mb = 0\n", 2, "server.code_cache_memory_mb"));
  EXPECT_TRUE(ErrorAt("[server]\ncode_cache_disk_mb = \"1 GB\"\n", 2, "server.code_cache_disk_mb"));
  EXPECT_TRUE(ErrorAt("\n[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nwall_ms = 0\n", 5, "tenants[0].wall_ms"));
}

TEST_F(ConfigTest, BadValues) {
  EXPECT_TRUE(ErrorAt("[server]\nlisten = [\"127.0.0.1:80\", \"example.com:80\"]\n", 2, "server.listen[1]", "example.com:80"));
  EXPECT_TRUE(ErrorAt("[server]\nlisten = []\n", 2, "server.listen", "at least one"));
  EXPECT_TRUE(ErrorAt("[server]\nlisten = [\"127.0.0.1:80\", \"127.0.0.1:80\"]\n", 2, "server.listen[1]", "twice"));
  EXPECT_TRUE(ErrorAt("[server]\nadmin_listen = \"9901\"\n", 2, "server.admin_listen"));
  EXPECT_TRUE(ErrorAt("[server]\nadmin_token_env = \"MY TOKEN\"\n", 2, "server.admin_token_env"));
  EXPECT_TRUE(ErrorAt("[server]\nmax_connections = 0\n", 2, "server.max_connections"));
  // Issue 12 item 15: the admin token's variable is no tenant's secret, wherever it is named.
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.secrets]\nT = { env = \"ATOLL_ADMIN_TOKEN\" }\n",
                      5, "tenants[0].secrets.T.env", "admin_token_env"));
  EXPECT_TRUE(ErrorAt("[server]\nadmin_token_env = \"HELLO_API_KEY\"\n[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n"
                      "[tenants.secrets]\nT = { env = \"HELLO_API_KEY\" }\n",
                      7, "tenants[0].secrets.T.env", "admin_token_env"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"Hello\"\nscript = \"hello.js\"\n", 2, "tenants[0].name", "[a-z0-9-]{1,63}"));
  EXPECT_TRUE(ErrorAt(StrCat("[[tenants]]\nname = \"", std::string(64, 'a'), "\"\n"), 2, "tenants[0].name"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"example.com:8080/*\"]\n", 4,
                      "tenants[0].routes[0]", "invalid route pattern \"example.com:8080/*\""));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.kv]\nSTORE = \"Bad Name\"\n", 5,
                      "tenants[0].kv.STORE", "[a-z0-9_-]{1,63}"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\noutbound = [\"ok.com\", \"a.*.com\"]\n", 4,
                      "tenants[0].outbound[1]", "a.*.com"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\noutbound = [\"::1\"]\n", 4, "tenants[0].outbound[0]"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\ncompatibility_flags = [\"ok\", \"Node Compat\"]\n", 4,
                      "tenants[0].compatibility_flags[1]", "invalid compatibility flag"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\ncompatibility_flags = \"nodejs_compat\"\n", 4,
                      "tenants[0].compatibility_flags"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\noutbound = [\"a.com:0\"]\n", 4, "tenants[0].outbound[0]"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\noutbound = [\"300.1.2.3\"]\n", 4, "tenants[0].outbound[0]"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.services]\nAUTH = \"nobody\"\n", 5,
                      "tenants[0].services.AUTH", "no tenant is named \"nobody\""));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.services]\nAUTH = { service = \"a\", entrypoint = \"Not Valid\" }\n",
                      5, "tenants[0].services.AUTH", "entrypoint \"Not Valid\" is not the name of an export"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.services]\nAUTH = { service = \"a\", export = \"X\" }\n",
                      5, "tenants[0].services.AUTH", "unknown or unsupported key \"export\""));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.services]\nAUTH = { entrypoint = \"X\" }\n",
                      5, "tenants[0].services.AUTH", "missing \"service\""));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.workflows]\nFLOW = \"1Flow\"\n", 5,
                      "tenants[0].workflows.FLOW", "\"1Flow\" is not a class name"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.d1]\nDB = \"my db\"\n", 5,
                      "tenants[0].d1.DB", "\"my db\" is not a database name"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.d1]\nDB = { database = \"x\", dir = \"m\" }\n",
                      5, "tenants[0].d1.DB", "unknown or unsupported key \"dir\""));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.d1]\nDB = { database = \"x\", migrations = \"none\" }\n",
                      5, "tenants[0].d1.DB", "is not a folder"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.vars]\n__proto__ = \"x\"\n", 5,
                      "tenants[0].vars.__proto__", "not valid"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.vars]\nWHEN = 1979-05-27\n", 5,
                      "tenants[0].vars.WHEN", "not a date"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.triggers]\ncrons = [\"* * * * *\", \"61 * * * *\"]\n",
                      5, "tenants[0].triggers.crons[1]", "minute: \"61\" is out of range"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.triggers]\ncron = [\"* * * * *\"]\n",
                      5, "tenants[0].triggers.cron", "unknown key \"cron\" (expected one of: crons)"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.vars]\nX = \"1\"\n[tenants.kv]\nX = \"ns\"\n",
                      7, "tenants[0].kv.X", "already used by tenants[0].vars.X"));
}

TEST_F(ConfigTest, MissingRequiredKeys) {
  EXPECT_TRUE(ErrorAt("\n[[tenants]]\nscript = \"hello.js\"\n", 2, "tenants[0]", "missing required key \"name\""));
  EXPECT_TRUE(ErrorAt("\n\n[[tenants]]\nname = \"a\"\n", 3, "tenants[0]", "missing required key \"script\""));
  EXPECT_TRUE(ErrorAt("[server.tls]\ncert = \"cert.pem\"\n", 1, "server.tls", "missing required key \"key\""));
}

TEST_F(ConfigTest, TlsCertificatesByNameAreCheckedWithTheirKeyPaths) {
  const std::string head = "[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n[[server.tls.certificates]]\n";
  EXPECT_TRUE(ErrorAt(head + "cert = \"cert.pem\"\nkey = \"key.pem\"\n", 4, "server.tls.certificates[0]",
                      "missing required key \"hosts\""));
  EXPECT_TRUE(ErrorAt(head + "hosts = []\ncert = \"cert.pem\"\nkey = \"key.pem\"\n", 5,
                      "server.tls.certificates[0].hosts", "a non-empty array of host names"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"a.test:443\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n", 5,
                      "server.tls.certificates[0].hosts[0]", "\"a.test:443\" is not a host name"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"a.*.test\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n", 5,
                      "server.tls.certificates[0].hosts[0]", "a wildcard only as \"*.\" in front"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"*.\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n", 5,
                      "server.tls.certificates[0].hosts[0]", "a host cannot be empty"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"a.test\"]\ncert = \"nope.pem\"\nkey = \"key.pem\"\n", 6,
                      "server.tls.certificates[0].cert", "does not exist"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"a.test\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nca = \"x\"\n", 8,
                      "server.tls.certificates[0].ca", "unknown key \"ca\" (expected one of: hosts, cert, key)"));
  EXPECT_TRUE(ErrorAt(head + "hosts = [\"A.test\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n" +
                          "[[server.tls.certificates]]\nhosts = [\"b.test\", \"a.TEST\"]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
                      9, "server.tls.certificates[1].hosts[1]", "\"a.test\" already has a certificate (server.tls.certificates[0])"));
}

TEST_F(ConfigTest, MissingEnvironmentVariableNamesTheSecret) {
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.secrets]\nAPI_KEY = { env = \"NOT_SET_ANYWHERE\" }\n",
                      5, "tenants[0].secrets.API_KEY", "NOT_SET_ANYWHERE is not set"));
}

TEST_F(ConfigTest, DuplicateTenantNamesNameBothPlaces) {
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n\n[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n",
                      6, "tenants[1].name", "duplicate tenant name \"a\", also at tenants[0].name (line 2)"));
}

TEST_F(ConfigTest, RouteConflictsNameBothPlaces) {
  std::string text = R"toml([[tenants]]
name = "a"
script = "hello.js"
routes = ["*.example.com/api/*"]

[[tenants]]
name = "b"
script = "hello.js"
routes = ["x.com/", "*.EXAMPLE.com/api/*"]
)toml";
  EXPECT_TRUE(ErrorAt(text, 9, "tenants[1].routes[1]",
                      "route \"*.example.com/api/*\" conflicts with the same route at tenants[0].routes[0] (line 4)"));
  // Within one tenant too.
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\nroutes = [\"a.com/*\", \"A.com/*\"]\n", 4,
                      "tenants[0].routes[1]", "tenants[0].routes[0]"));
}

TEST_F(ConfigTest, MissingFiles) {
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"nope.js\"\n", 3, "tenants[0].script",
                      StrCat("file \"", (dir_ / "nope.js").string(), "\" does not exist")));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \".\"\n", 3, "tenants[0].script", "is not a regular file"));
  EXPECT_TRUE(ErrorAt("[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n[tenants.wasm]\nIMG = \"missing.wasm\"\n", 5,
                      "tenants[0].wasm.IMG", "missing.wasm"));
  EXPECT_TRUE(ErrorAt("[server.tls]\ncert = \"cert.pem\"\nkey = \"missing-key.pem\"\n", 3, "server.tls.key", "does not exist"));
}

TEST_F(ConfigTest, LoadConfigFileNamesAnUnreadableFile) {
  absl::StatusOr<Config> config = LoadConfigFile(dir_ / "absent.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(base::ToStd(config.status().message())).find((dir_ / "absent.toml").string()), std::string::npos)
      << config.status();
  EXPECT_FALSE(LoadConfigFile(dir_).ok());  // a folder
}

TEST_F(ConfigTest, LoadConfigFileErrorsNameTheFile) {
  Write("bad.toml", "[defaults]\ncpu_ms = 0\n");
  absl::StatusOr<Config> config = LoadConfigFile(dir_ / "bad.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(base::ToStd(config.status().message())).rfind(StrCat((dir_ / "bad.toml").string(), ":2:"), 0), 0u)
      << config.status();
}

TEST_F(ConfigTest, BadModuleRulesNameTheKeyPath) {
  constexpr std::string_view kHead = "[[tenants]]\nname = \"a\"\nscript = \"hello.js\"\n";
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"CommonJS\", globs = [\"**/*.cjs\"]}]\n"), 4,
                      "tenants[0].rules[0].type", "CommonJS modules are not supported"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\", globs = [\"*.md\"]}, {type = \"Yaml\", globs = [\"*.y\"]}]\n"), 4,
                      "tenants[0].rules[1].type", "unknown module rule type \"Yaml\" (expected one of: ESModule, Text, Data, CompiledWasm)"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\"}]\n"), 4, "tenants[0].rules[0]", "missing required key \"globs\""));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{globs = [\"*.md\"]}]\n"), 4, "tenants[0].rules[0]", "missing required key \"type\""));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\", globs = []}]\n"), 4, "tenants[0].rules[0].globs", "non-empty"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\", globs = [\"*.md\", 3]}]\n"), 4, "tenants[0].rules[0].globs[1]",
                      "expected a string"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\", globs = [\"*.md\"], fallthrough = \"yes\"}]\n"), 4,
                      "tenants[0].rules[0].fallthrough", "expected a boolean"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [{type = \"Text\", globs = [\"*.md\"], include = [\"x\"]}]\n"), 4,
                      "tenants[0].rules[0].include", "unknown key \"include\" (expected one of: type, globs, fallthrough)"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = {type = \"Text\", globs = [\"*.md\"]}\n"), 4, "tenants[0].rules", "an array of module rules"));
  EXPECT_TRUE(ErrorAt(StrCat(kHead, "rules = [\"Text\"]\n"), 4, "tenants[0].rules[0]", "a table"));
}

}  // namespace
}  // namespace atl::config
