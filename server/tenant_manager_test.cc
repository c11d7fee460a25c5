// The dispatcher in-process, on a loop of its own, without sockets: requests go in with a fake
// ResponseSink, and what the tenants answer (whole, by a service binding, or the server's errors)
// is read from it.
#include "server/tenant_manager.h"

#include <gtest/gtest.h>
#include <uv.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace atl::server {
namespace {

namespace fs = std::filesystem;

// Records what one request's answer was.
class FakeSink final : public ResponseSink {
 public:
  int status = 0;
  std::string body;
  bool streamed = false, ended = false;
  int calls = 0;

  void Respond(const bindings::ResponseView& response) override {
    ++calls;
    status = response.status;
    body = std::string(response.body);
    ended = true;
  }
  void Fail(ServerError error) override {
    ++calls;
    status = StatusOf(error);
    body = BodyOf(error);
    ended = true;
  }
  bool StartStream(const bindings::ResponseView& response) override {
    ++calls;
    status = response.status;
    streamed = true;
    return true;
  }
  bool WriteBody(std::string_view bytes) override {
    body.append(bytes);
    return true;
  }
  void EndBody(bool complete) override { ended = complete; }
};

class TenantManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    dir_ = fs::temp_directory_path() / ("atoll-tm-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    isolates::PoolLimits pool;
    pool.warm_isolates = 1;
    tenants_ = std::make_unique<TenantManager>(&loop_, pool, &code_cache_);
  }
  void TearDown() override {
    tenants_->Shutdown();
    uv_run(&loop_, UV_RUN_NOWAIT);  // the closing handles
    tenants_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    fs::remove_all(dir_);
  }

  TenantSpec Spec(const std::string& name, const std::string& source, const std::string& route) {
    TenantSpec spec;
    spec.worker.tenant_name = name;
    spec.worker.script_path = dir_ / (name + ".js");
    std::ofstream(spec.worker.script_path) << source;
    absl::StatusOr<config::RoutePattern> pattern = config::ParseRoutePattern(route);
    EXPECT_TRUE(pattern.ok()) << route;
    if (pattern.ok()) spec.routes.push_back(*pattern);
    return spec;
  }

  // A GET of `url` (host `host`) dispatched as the HTTP server would, answered into `sink`.
  void Get(uint64_t id, const std::string& host, const std::string& url, FakeSink& sink) {
    RouteDecision route = tenants_->Route(host, "/");
    bindings::RequestView request;
    request.method = "GET";
    request.url = url;
    tenants_->Dispatch(id, route.target, request, sink);
  }

  // Runs the loop until `done` or 10 s passed.
  template <typename Done>
  void RunUntil(Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    uv_timer_t tick;  // keeps the loop polling (the manager's own handles do not keep it alive)
    uv_timer_init(&loop_, &tick);
    uv_timer_start(&tick, [](uv_timer_t*) {}, 5, 5);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_;
  fs::path dir_;
  cache::CodeCache code_cache_;
  std::unique_ptr<TenantManager> tenants_;
};

constexpr char kHello[] = "export default { fetch(r) { return new Response('hello ' + new URL(r.url).pathname); } };";

TEST_F(TenantManagerTest, AnAnswerGoesToTheRequestsSink) {
  std::vector<TenantSpec> specs;
  specs.push_back(Spec("a", kHello, "a.test/*"));
  ASSERT_TRUE(tenants_->Start(std::move(specs)).ok());
  FakeSink first, second;
  Get(1, "a.test", "http://a.test/x", first);
  Get(2, "a.test", "http://a.test/y", second);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello /x");
  EXPECT_EQ(second.body, "hello /y");
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(tenants_->live_isolates(), 1u);
  tenants_->Forget(1, 0, false);
  tenants_->Forget(2, 0, false);
}

TEST_F(TenantManagerTest, NoRouteAndARemovedTenantFailTheSink) {
  std::vector<TenantSpec> specs;
  specs.push_back(Spec("a", kHello, "a.test/*"));
  ASSERT_TRUE(tenants_->Start(std::move(specs)).ok());
  FakeSink nowhere;
  Get(1, "b.test", "http://b.test/", nowhere);
  EXPECT_EQ(nowhere.body, BodyOf(ServerError::kNoRoute));
  EXPECT_TRUE(tenants_->Remove("a"));
  EXPECT_FALSE(tenants_->Remove("a"));
  FakeSink removed;
  bindings::RequestView request;
  request.method = "GET";
  request.url = "http://a.test/";
  tenants_->Dispatch(2, 0, request, removed);
  EXPECT_EQ(removed.status, StatusOf(ServerError::kNoRoute));
}

TEST_F(TenantManagerTest, AServiceBindingAnswersIntoTheCallersFetch) {
  std::vector<TenantSpec> specs;
  specs.push_back(Spec("front", R"(export default {
    async fetch(request, env) {
      const answer = await env.BACK.fetch("http://back.internal/inner");
      return new Response("front got " + answer.status + " " + await answer.text());
    }
  };)", "front.test/*"));
  specs.back().worker.Bind("services", "BACK", "back");
  specs.push_back(Spec("back", kHello, "back.test/*"));
  ASSERT_TRUE(tenants_->Start(std::move(specs)).ok());
  FakeSink sink;
  Get(1, "front.test", "http://front.test/", sink);
  RunUntil([&] { return sink.calls > 0; });
  EXPECT_EQ(sink.status, 200);
  EXPECT_EQ(sink.body, "front got 200 hello /inner");
  tenants_->Forget(1, 0, false);
}

TEST_F(TenantManagerTest, AHangingRequestGetsItsWallLimitEvenAfterItsSinkWentAway) {
  std::vector<TenantSpec> specs;
  specs.push_back(Spec("a", "export default { async fetch() { await new Promise(() => {}); } };", "a.test/*"));
  specs.back().worker.limits.wall_ms = 200;
  ASSERT_TRUE(tenants_->Start(std::move(specs)).ok());
  FakeSink kept, gone;
  Get(1, "a.test", "http://a.test/", kept);
  Get(2, "a.test", "http://a.test/", gone);
  tenants_->Forget(2, 0, true);  // its client went away: nothing reaches `gone` any more
  RunUntil([&] { return tenants_->Info(0).wall_kills == 2; });
  EXPECT_EQ(kept.body, BodyOf(ServerError::kWallLimit));
  EXPECT_EQ(gone.calls, 0);
  EXPECT_EQ(tenants_->Info(0).wall_kills, 2u) << "both requests were given up";
  tenants_->Forget(1, 0, false);
}

TEST_F(TenantManagerTest, ADeployReplacesTheTenantAndFailsWhatRanOnTheOldOne) {
  std::vector<TenantSpec> specs;
  specs.push_back(Spec("a", "export default { async fetch() { await new Promise(() => {}); } };", "a.test/*"));
  ASSERT_TRUE(tenants_->Start(std::move(specs)).ok());
  FakeSink old_request;
  Get(1, "a.test", "http://a.test/", old_request);
  EXPECT_EQ(old_request.calls, 0);
  // A conflicting route is refused and changes nothing.
  absl::Status conflict = tenants_->Deploy(Spec("b", kHello, "a.test/*"));
  EXPECT_EQ(conflict.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tenants_->tenant_slots(), 1u);
  ASSERT_TRUE(tenants_->Deploy(Spec("a", kHello, "a.test/*")).ok());
  EXPECT_EQ(old_request.body, BodyOf(ServerError::kOverloaded));
  FakeSink fresh;
  Get(2, "a.test", "http://a.test/new", fresh);
  EXPECT_EQ(fresh.body, "hello /new");
  tenants_->Forget(1, 0, false);
  tenants_->Forget(2, 0, false);
}

}  // namespace
}  // namespace atl::server
