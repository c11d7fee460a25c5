// deploy/k8s/ has no cluster to run in here (deploy/README.md): these tests keep the manifests
// honest against the code instead: the ConfigMap's atoll.toml parses, the containers' arguments
// parse as atoll command lines, and the probes and ports name what the config listens on.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/cli.h"

namespace atl::server {
namespace {

std::string ReadManifest(const std::string& name) {
  std::ifstream in(std::string(ATOLL_SOURCE_DIR) + "/deploy/k8s/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Indent(const std::string& line) { return line.find_first_not_of(' '); }

// The block scalar under `key: |` (YAML's literal style), dedented.
std::string BlockScalar(const std::string& text, const std::string& key) {
  std::vector<std::string> lines = Lines(text);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(key + ": |") == std::string::npos) continue;
    size_t indent = std::string::npos;
    for (size_t j = i + 1; j < lines.size(); ++j) {
      if (lines[j].find_first_not_of(' ') == std::string::npos) { out += "\n"; continue; }
      if (indent == std::string::npos) indent = Indent(lines[j]);
      if (Indent(lines[j]) < indent) break;
      out += lines[j].substr(indent) + "\n";
    }
  }
  return out;
}

// The items of the block sequence under `args:` with the downward-API variables filled in.
std::vector<std::string> Args(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  std::vector<std::string> args;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("args:") == std::string::npos) continue;
    for (size_t j = i + 1; j < lines.size() && lines[j].find("- ", Indent(lines[j])) == Indent(lines[j]); ++j) {
      std::string arg = lines[j].substr(Indent(lines[j]) + 2);
      for (auto [var, value] : {std::pair{"$(POD_NAME)", "atoll-node-x7k2p"}, {"$(POD_IP)", "10.1.2.3"}}) {
        if (size_t at = arg.find(var); at != std::string::npos) arg.replace(at, std::string(var).size(), value);
      }
      // --flag=value as the shell-less container runtime passes it; atoll takes "--flag value".
      if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
        args.push_back(arg.substr(0, eq));
        args.push_back(arg.substr(eq + 1));
      } else {
        args.push_back(arg);
      }
    }
  }
  return args;
}

absl::StatusOr<config::Config> NodeConfig() {
  std::string toml = BlockScalar(ReadManifest("config.yaml"), "atoll.toml");
  return config::ParseConfig(toml, "/etc/atoll/atoll.toml", [](std::string_view) { return std::nullopt; });
}

TEST(DeployManifests, TheConfigMapsAtollTomlParses) {
  absl::StatusOr<config::Config> config = NodeConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->cluster.etcd.empty());
  EXPECT_FALSE(config->cluster.postgres.empty());
  ASSERT_TRUE(config->server.admin_listen.has_value()) << "cluster mode needs the admin API";
}

TEST(DeployManifests, TheNodesArgumentsParseAndNameTheConfigsPorts) {
  std::string node = ReadManifest("node.yaml");
  std::vector<std::string> args = Args(node);
  ASSERT_FALSE(args.empty());
  absl::StatusOr<CommandLine> cl = ParseCommandLine(args);
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->command, CommandLine::Command::kServe);
  EXPECT_EQ(cl->serve.config_path, "/etc/atoll/atoll.toml");
  EXPECT_EQ(cl->serve.node_name, "atoll-node-x7k2p");
  EXPECT_EQ(cl->serve.advertise, "10.1.2.3:8080");

  absl::StatusOr<config::Config> config = NodeConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_NE(node.find("containerPort: " + std::to_string(config->server.listen[0].port)), std::string::npos);
  EXPECT_NE(node.find("containerPort: " + std::to_string(config->server.admin_listen->port)), std::string::npos);
  EXPECT_NE(node.find("path: /healthz, port: admin"), std::string::npos);
  EXPECT_NE(node.find("path: /readyz, port: admin"), std::string::npos);
}

TEST(DeployManifests, TheControllersArgumentsParseAndNameTheNodesEtcd) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(Args(ReadManifest("control.yaml")));
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->command, CommandLine::Command::kControl);
  EXPECT_EQ(cl->control.name, "atoll-node-x7k2p");
  absl::StatusOr<config::Config> config = NodeConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(cl->control.etcd, config->cluster.etcd) << "the controllers and the nodes follow one etcd";
  EXPECT_EQ(cl->control.prefix, config->cluster.prefix);
  EXPECT_NE(ReadManifest("control.yaml").find("replicas: 2"), std::string::npos);
}

}  // namespace
}  // namespace atl::server
