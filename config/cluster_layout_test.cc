#include "config/cluster_layout.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace atl::config {
namespace {

TEST(ClusterLayoutTest, Keys) {
  ClusterKeys keys("/atoll/");
  EXPECT_EQ(keys.Tenant("hello"), "/atoll/tenants/hello");
  EXPECT_EQ(keys.Loaded("n1", "hello"), "/atoll/loaded/n1/hello");
  EXPECT_EQ(ClusterKeys::After("/atoll/loaded/n1/hello", keys.AllLoaded()), "n1/hello");
  EXPECT_EQ(ClusterKeys::After("/other/x", keys.AllLoaded()), "");
  EXPECT_EQ(PrefixEnd("/atoll/tenants/"), "/atoll/tenants0");
  EXPECT_TRUE(ValidClusterName("node-1"));
  EXPECT_FALSE(ValidClusterName("Node/1"));
}

TEST(ClusterLayoutTest, BodySplitsAndJoinsBack) {
  absl::StatusOr<SplitBody> split = SplitDeployBody(R"({"routes":["a.test/*"],"script":"export default {}\n\"x\"","vars":{"A":"1"}})");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->script, "export default {}\n\"x\"");
  EXPECT_EQ(split->spec, R"({"routes":["a.test/*"],"vars":{"A":"1"}})");
  std::string joined = JoinDeployBody(split->spec, split->script);
  absl::StatusOr<SplitBody> again = SplitDeployBody(joined);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->script, split->script);
  EXPECT_EQ(again->spec, split->spec);
  EXPECT_EQ(JoinDeployBody("{}", "s"), R"({"script":"s"})");
  EXPECT_FALSE(SplitDeployBody(R"({"routes":[]})").ok());
  EXPECT_FALSE(SplitDeployBody(R"({"script":5})").ok());
  EXPECT_FALSE(SplitDeployBody("[1]").ok());
}

TEST(ClusterLayoutTest, Records) {
  absl::StatusOr<TenantRecord> record = DecodeTenantRecord(EncodeTenantRecord({"abc", R"({"routes":[]})"}));
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->bundle, "abc");
  EXPECT_EQ(record->spec, R"({"routes":[]})");
  EXPECT_FALSE(DecodeTenantRecord(R"({"bundle":"x"})").ok());
  absl::StatusOr<NodeRecord> node = DecodeNodeRecord(EncodeNodeRecord({"127.0.0.1:8080", 2, 24000}));
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->advertise, "127.0.0.1:8080");
  EXPECT_EQ(node->cores, 2u);
}

TEST(ClusterLayoutTest, ControllerKeysAndRecords) {
  ClusterKeys keys("/atoll/");
  EXPECT_EQ(keys.Load("n1"), "/atoll/load/n1");
  EXPECT_EQ(keys.Placement("hello"), "/atoll/placements/hello");
  EXPECT_EQ(keys.ControlLeader(), "/atoll/control/leader");
  // GET /cluster reads [control/leader, placements/) in one range: the order it counts on.
  EXPECT_LT(keys.ControlLeader(), keys.Loads());
  EXPECT_LT(keys.Nodes(), keys.Placements());
  EXPECT_LT(keys.Placements(), keys.Tenants());

  std::string load_json = EncodeLoadRecord({2, 4096, {{"a", {700, 12.5}}, {"b\"q", {0, 0}}}});
  EXPECT_EQ(load_json, R"({"cores":2,"memory_mb":4096,"tenants":{"a":{"memory_kb":700,"rps":12.500},"b\"q":{"memory_kb":0,"rps":0.000}}})");
  absl::StatusOr<LoadRecord> load = DecodeLoadRecord(load_json);
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->cores, 2u);
  EXPECT_EQ(load->memory_mb, 4096u);
  ASSERT_EQ(load->tenants.size(), 2u);
  EXPECT_EQ(load->tenants[0].first, "a");
  EXPECT_EQ(load->tenants[0].second.memory_kb, 700u);
  EXPECT_DOUBLE_EQ(load->tenants[0].second.rps, 12.5);
  EXPECT_EQ(load->tenants[1].first, "b\"q");
  // Nonsense numbers are 0, not negative or NaN.
  absl::StatusOr<LoadRecord> odd = DecodeLoadRecord(R"({"tenants":{"a":{"memory_kb":-5,"rps":"nan"}}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->tenants[0].second.memory_kb, 0u);
  EXPECT_EQ(odd->tenants[0].second.rps, 0);
  EXPECT_FALSE(DecodeLoadRecord("[1]").ok());

  std::string placement_json = EncodePlacementRecord({{"a", "b"}, "ctl-1"});
  EXPECT_EQ(placement_json, R"({"nodes":["a","b"],"controller":"ctl-1"})");
  absl::StatusOr<PlacementRecord> placement = DecodePlacementRecord(placement_json);
  ASSERT_TRUE(placement.ok());
  EXPECT_EQ(placement->nodes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(placement->controller, "ctl-1");
  EXPECT_TRUE(DecodePlacementRecord(R"({"nodes":[]})")->nodes.empty());
  for (const char* bad : {"{}", R"({"nodes":"a"})", R"({"nodes":["A B"]})", R"({"nodes":[1]})", "nope"}) {
    EXPECT_FALSE(DecodePlacementRecord(bad).ok()) << bad;
  }
}

TEST(ClusterLayoutTest, ClusterSectionOfTheConfig) {
  absl::StatusOr<Config> config = ParseConfig(
      "[cluster]\netcd = \"http://127.0.0.1:2379\"\nnode_name = \"n1\"\nadvertise = \"127.0.0.1:8080\"\nlease_ttl_s = 5\n", "/t/atoll.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster.etcd, "http://127.0.0.1:2379");
  EXPECT_EQ(config->cluster.node_name, "n1");
  EXPECT_EQ(config->cluster.prefix, "/atoll/");
  EXPECT_EQ(config->cluster.lease_ttl_s, 5u);
  EXPECT_EQ(ParseConfig("", "/t/atoll.toml")->cluster.etcd, "");
  for (const char* bad : {"[cluster]\netcd = \"https://x:1\"\n", "[cluster]\nnode_name = \"A B\"\n", "[cluster]\nprefix = \"atoll\"\n",
                          "[cluster]\nadvertise = \"nope\"\n", "[cluster]\nlease_ttl_s = 1\n", "[cluster]\netcdd = \"x\"\n"}) {
    absl::StatusOr<Config> c = ParseConfig(bad, "/t/atoll.toml");
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_NE(c.status().message().find("cluster."), std::string::npos) << c.status();
    }
  }
}

}  // namespace
}  // namespace atl::config
