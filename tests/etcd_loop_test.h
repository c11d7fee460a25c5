#pragma once
// A GoogleTest fixture for in-process tests of etcd clients: a throwaway etcd (etcd_fixture.h), a
// libuv loop on the test's thread and an EtcdClient on it; RunUntil turns the loop until a
// condition holds or a timeout passes. TearDown shuts the client down and runs the loop dry.
//
//   class MyTest : public EtcdLoopTest {};
//   TEST_F(MyTest, X) { client_->Put(...); ASSERT_TRUE(RunUntil([&] { return done; })); }

#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "server/etcd_client.h"
#include "tests/etcd_fixture.h"

namespace atl::testing {

// Turns `loop` (without blocking) until `done` or `timeout`; whether `done` holds.
inline bool RunLoopUntil(uv_loop_t* loop, const std::function<bool()>& done,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(loop, UV_RUN_NOWAIT), usleep(1000);
  return done();
}

class EtcdLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start()) << etcd_.log();
    uv_loop_init(&loop_);
    client_ = std::make_unique<server::EtcdClient>(&loop_, *server::EtcdClient::ParseUrl(etcd_.url()));
  }
  void TearDown() override {
    if (client_) client_->Shutdown();
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return RunLoopUntil(&loop_, done, timeout);
  }

  EtcdServer etcd_;
  uv_loop_t loop_;
  std::unique_ptr<server::EtcdClient> client_;
};

}  // namespace atl::testing
