#include "server/tenant_registry.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace atl::server {
namespace {

TenantSpec Spec(std::string name, std::initializer_list<const char*> routes) {
  TenantSpec spec;
  spec.worker.tenant_name = std::move(name);
  for (const char* text : routes) {
    absl::StatusOr<config::RoutePattern> pattern = config::ParseRoutePattern(text);
    EXPECT_TRUE(pattern.ok()) << text;
    if (pattern.ok()) spec.routes.push_back(*pattern);
  }
  return spec;
}

std::vector<TenantSpec> Specs(std::vector<TenantSpec> specs) { return specs; }

TEST(TenantRegistry, RoutesAndFindsByName) {
  TenantRegistry registry;
  ASSERT_TRUE(registry.Reset(Specs({Spec("a", {"a.example.com/*"}), Spec("b", {"b.example.com/api/*"})})).ok());
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.Route("a.example.com", "/x"), 0u);
  EXPECT_EQ(registry.Route("B.example.com:8080", "/api/users"), 1u);
  EXPECT_EQ(registry.Route("b.example.com", "/other"), std::nullopt);
  EXPECT_EQ(registry.Find("b"), 1);
  EXPECT_EQ(registry.Find("c"), -1);
  EXPECT_EQ(registry.name(0), "a");
}

TEST(TenantRegistry, ARouteConflictNamesTheTenantTheSameWayAtStartAndDeploy) {
  TenantRegistry registry;
  absl::Status started = registry.Reset(Specs({Spec("a", {"example.com/*"}), Spec("b", {"EXAMPLE.com/*"})}));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  std::string at_start(base::ToStd(started.message()));
  EXPECT_EQ(at_start.rfind("tenant b: ", 0), 0u) << at_start;

  ASSERT_TRUE(registry.Reset(Specs({Spec("a", {"example.com/*"})})).ok());
  absl::StatusOr<TenantRegistry::Staged> staged = registry.Stage(Spec("b", {"EXAMPLE.com/*"}));
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(std::string(base::ToStd(staged.status().message())), at_start);
  EXPECT_EQ(registry.size(), 1u) << "a refused deploy changes nothing";
  EXPECT_EQ(registry.Route("example.com", "/"), 0u);
}

TEST(TenantRegistry, DeployReplacesInPlaceOrAddsASlot) {
  TenantRegistry registry;
  ASSERT_TRUE(registry.Reset(Specs({Spec("a", {"a.example.com/*"})})).ok());
  // Replacing a: its own old routes do not conflict with its new ones.
  absl::StatusOr<TenantRegistry::Staged> staged = registry.Stage(Spec("a", {"a.example.com/*", "x.example.com/*"}));
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_TRUE(staged->replaces);
  EXPECT_EQ(staged->index, 0u);
  registry.Commit(std::move(*staged), Spec("a", {"a.example.com/*", "x.example.com/*"}));
  EXPECT_EQ(registry.Route("x.example.com", "/"), 0u);

  staged = registry.Stage(Spec("n", {"n.example.com/*"}));
  ASSERT_TRUE(staged.ok());
  EXPECT_FALSE(staged->replaces);
  EXPECT_EQ(staged->index, 1u);
  EXPECT_EQ(registry.Route("n.example.com", "/"), std::nullopt) << "not served before Commit";
  registry.Commit(std::move(*staged), Spec("n", {"n.example.com/*"}));
  EXPECT_EQ(registry.Route("n.example.com", "/"), 1u);
  EXPECT_EQ(registry.Find("n"), 1);
}

TEST(TenantRegistry, ARemovedTenantKeepsItsSlotAndNameButIsNotRouted) {
  TenantRegistry registry;
  ASSERT_TRUE(registry.Reset(Specs({Spec("a", {"example.com/*"}), Spec("b", {"b.example.com/*"})})).ok());
  EXPECT_EQ(registry.Remove("a"), 0);
  EXPECT_EQ(registry.Remove("a"), -1) << "already removed";
  EXPECT_EQ(registry.Remove("nobody"), -1);
  EXPECT_FALSE(registry.Serving(0));
  EXPECT_TRUE(registry.Serving(1));
  EXPECT_EQ(registry.Find("a"), 0);
  EXPECT_EQ(registry.Route("example.com", "/"), std::nullopt);
  // Its routes are free for another tenant now, and a redeploy takes its old slot.
  EXPECT_TRUE(registry.Stage(Spec("c", {"example.com/*"})).ok());
  absl::StatusOr<TenantRegistry::Staged> again = registry.Stage(Spec("a", {"example.com/*"}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->index, 0u);
  registry.Commit(std::move(*again), Spec("a", {"example.com/*"}));
  EXPECT_TRUE(registry.Serving(0));
  EXPECT_EQ(registry.Route("example.com", "/"), 0u);
}

TEST(TenantRegistry, ServiceBindingsNameTenantsByName) {
  TenantSpec caller = Spec("caller", {"c.example.com/*"});
  caller.worker.Bind("services", "AUTH", "auth");
  caller.worker.Bind("services", "GONE", "nobody");
  TenantRegistry registry;
  ASSERT_TRUE(registry.Reset(Specs({std::move(caller), Spec("auth", {})})).ok());
  EXPECT_EQ(registry.ServiceTarget(0, "AUTH"), 1);
  EXPECT_EQ(registry.ServiceTarget(0, "GONE"), -1);
  EXPECT_EQ(registry.ServiceTarget(0, "OTHER"), -1);
  EXPECT_EQ(registry.ServiceTarget(1, "AUTH"), -1);
}

}  // namespace
}  // namespace atl::server
