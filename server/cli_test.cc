#include "server/cli.h"

#include <gtest/gtest.h>

namespace atl::server {
namespace {

TEST(CommandLine, ServeWithDefaults) {
  auto cl = ParseCommandLine({"serve", "hello.js"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->command, CommandLine::Command::kServe);
  EXPECT_EQ(cl->serve.script_path, "hello.js");
  EXPECT_TRUE(cl->serve.listen.empty()) << "127.0.0.1:8080 is applied when serving, after the config";
  EXPECT_EQ(cl->serve.tenant_limits.max_request_body, 10u << 20);
}

TEST(CommandLine, ServeWithOptions) {
  auto cl = ParseCommandLine({"serve", "--listen", "[::1]:0", "w.js", "--listen", "127.0.0.1:9",
                              "--max-request-body", "1KB", "--header-timeout-ms", "250", "--max-connections", "64"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->serve.connection_limits.max_connections, 64u);
  EXPECT_EQ(cl->serve.listen.size(), 2u);
  EXPECT_EQ(cl->serve.tenant_limits.max_request_body, 1024u);
  EXPECT_EQ(cl->serve.connection_limits.header_timeout_ms, 250u);
}

TEST(CommandLine, WranglerEnvironment) {
  auto cl = ParseCommandLine({"serve", "--wrangler", "w.toml", "--env", "staging"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->serve.wrangler_env, "staging");
  EXPECT_EQ(ParseCommandLine({"check", "--wrangler", "w.toml", "-e", "qa"})->serve.wrangler_env, "qa");
  EXPECT_FALSE(ParseCommandLine({"serve", "--config", "a.toml", "--env", "staging"}).ok()) << "only for --wrangler";
  EXPECT_FALSE(ParseCommandLine({"serve", "--wrangler", "w.toml", "--env", ""}).ok());
}

TEST(CommandLine, ClusterMode) {
  auto node = ParseCommandLine({"serve", "--cluster", "http://127.0.0.1:2379", "--node-name", "n1", "--advertise", "10.0.0.1:8080",
                                "--admin-listen", "127.0.0.1:9901"});
  ASSERT_TRUE(node.ok()) << node.status() << ": tenants come from etcd, no script or config needed";
  EXPECT_EQ(node->serve.cluster_etcd, "http://127.0.0.1:2379");
  EXPECT_EQ(node->serve.node_name, "n1");
  EXPECT_EQ(node->serve.advertise, "10.0.0.1:8080");
  EXPECT_TRUE(ParseCommandLine({"serve", "--config", "a.toml", "--cluster", "http://e:2379"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--node-name", "n1"}).ok()) << "no cluster: a script or config is still needed";
  EXPECT_FALSE(ParseCommandLine({"serve", "--cluster"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--cluster", ""}).ok());
}

TEST(CommandLine, Control) {
  auto control = ParseCommandLine({"control", "--cluster", "http://127.0.0.1:2379", "--name", "ctl-1", "--replicas", "3",
                                   "--lease-ttl-s", "5", "--interval-s", "2", "--headroom", "0.3", "--rate-per-core", "250"});
  ASSERT_TRUE(control.ok()) << control.status();
  EXPECT_EQ(control->command, CommandLine::Command::kControl);
  EXPECT_EQ(control->control.etcd, "http://127.0.0.1:2379");
  EXPECT_EQ(control->control.name, "ctl-1");
  EXPECT_EQ(control->control.replicas, 3);
  EXPECT_EQ(control->control.lease_ttl_s, 5);
  EXPECT_EQ(control->control.interval_ms, 2000u);
  EXPECT_DOUBLE_EQ(control->control.headroom, 0.3);
  EXPECT_DOUBLE_EQ(control->control.rate_per_core, 250);
  auto defaults = ParseCommandLine({"control", "--cluster", "http://e:2379"});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->control.replicas, 2);
  EXPECT_EQ(defaults->control.lease_ttl_s, 3);
  EXPECT_EQ(defaults->control.prefix, "/atoll/");
  EXPECT_FALSE(ParseCommandLine({"control"}).ok()) << "--cluster is required";
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--replicas", "0"}).ok());
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--headroom", "1"}).ok());
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--name", "Bad Name"}).ok());
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--prefix", "/x"}).ok());
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--replicas"}).ok());
  EXPECT_FALSE(ParseCommandLine({"control", "--cluster", "http://e:2379", "--listen", "x"}).ok());
}

TEST(CommandLine, Workers) {
  auto two = ParseCommandLine({"serve", "w.js", "--workers", "2"});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->serve.workers, 2u);
  auto automatic = ParseCommandLine({"serve", "w.js", "--workers", "auto"});
  ASSERT_TRUE(automatic.ok()) << automatic.status();
  EXPECT_EQ(automatic->serve.workers, 0u) << "0 is one per core";
  EXPECT_FALSE(ParseCommandLine({"serve", "w.js"})->serve.workers.has_value());
  for (const char* bad : {"0", "-1", "many", "1025"}) {
    auto parsed = ParseCommandLine({"serve", "w.js", "--workers", bad});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("--workers"), absl::string_view::npos);
  }
}

TEST(CommandLine, ConfigAndCheck) {
  auto serve = ParseCommandLine({"serve", "--config", "atoll.toml", "--data-dir", "/tmp/d", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(serve.ok()) << serve.status();
  EXPECT_EQ(serve->serve.config_path, "atoll.toml");
  EXPECT_EQ(serve->serve.data_dir, "/tmp/d");
  EXPECT_EQ(serve->serve.listen.size(), 1u);
  auto check = ParseCommandLine({"check", "--config", "atoll.toml"});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->command, CommandLine::Command::kCheck);
  EXPECT_FALSE(check->serve.keep_going);
  auto keep_going = ParseCommandLine({"check", "--keep-going", "--config", "atoll.toml"});
  ASSERT_TRUE(keep_going.ok()) << keep_going.status();
  EXPECT_TRUE(keep_going->serve.keep_going);
  EXPECT_FALSE(ParseCommandLine({"serve", "--keep-going", "--config", "atoll.toml"}).ok());
  EXPECT_FALSE(ParseCommandLine({"check"}).ok());
  EXPECT_FALSE(ParseCommandLine({"check", "a.js"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "--config", "atoll.toml"}).ok()) << "one or the other";
  EXPECT_FALSE(ParseCommandLine({"serve", "--config"}).ok());
}

TEST(CommandLine, Errors) {
  EXPECT_FALSE(ParseCommandLine({"serve"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "b.js"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "--listen"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "--listen", "nope"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "--bogus"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "a.js", "--idle-timeout-ms", "0"}).ok());
  EXPECT_FALSE(ParseCommandLine({"frobnicate"}).ok());
  EXPECT_EQ(ParseCommandLine({"version"})->command, CommandLine::Command::kVersion);
  EXPECT_EQ(ParseCommandLine({})->command, CommandLine::Command::kHelp);
}

}  // namespace
}  // namespace atl::server
