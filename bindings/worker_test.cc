#include "bindings/worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace atl::bindings {
namespace {

namespace fs = std::filesystem;

// Records what a Worker hands back; timers are fired by the test itself.
class FakeHost : public WorkerHost {
 public:
  struct Answer {
    int status = 0;
    std::string status_text, body, error;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::map<uint64_t, Answer> answers;
  std::map<uint32_t, double> timers;

  void OnResponse(uint64_t id, const ResponseView& r) override {
    Answer& a = answers[id];
    a.status = r.status;
    a.status_text = r.status_text;
    a.body = r.body;
    for (auto& [n, v] : r.headers) a.headers.emplace_back(n, v);
  }
  void OnScriptError(uint64_t id, std::string_view message) override { answers[id].error = message; }
  void SetTimer(uint32_t id, double ms, bool) override { timers[id] = ms; }
  void ClearTimer(uint32_t id) override { timers.erase(id); }
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atoll-worker-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  absl::StatusOr<std::unique_ptr<Worker>> Start(const std::string& source) {
    std::ofstream(dir_ / "worker.js") << source;
    WorkerOptions options;
    options.script_path = dir_ / "worker.js";
    return Worker::Create(options, &host_, &cache_);
  }

  static RequestView Get(std::string_view url, std::span<const HeaderView> headers = {}) {
    return RequestView{"GET", url, headers, {}, false};
  }

  fs::path dir_;
  FakeHost host_;
  cache::CodeCache cache_;
};

TEST_F(WorkerTest, ModuleHandlerSeesRequestAndAnswers) {
  auto worker = Start(R"(
    export default {
      fetch(request, env, ctx) {
        return new Response(request.method + " " + request.url + " " + request.headers.get("x-a"),
                            { status: 201, headers: { "x-b": "2" } });
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  HeaderView headers[] = {{"x-a", "1"}};
  (*worker)->Dispatch(7, Get("http://h/p?q", headers));
  ASSERT_EQ(host_.answers.count(7), 1u);
  const auto& a = host_.answers[7];
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(a.body, "GET http://h/p?q 1");
  EXPECT_NE(std::find(a.headers.begin(), a.headers.end(), std::pair<std::string, std::string>{"x-b", "2"}),
            a.headers.end());
}

TEST_F(WorkerTest, ServiceWorkerScriptAnswers) {
  auto worker = Start(R"(addEventListener("fetch", (e) => e.respondWith(new Response("sw"))))");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers[1].body, "sw");
}

TEST_F(WorkerTest, ThrowAndRejectAndWrongTypeAreScriptErrors) {
  auto worker = Start(R"(
    export default {
      async fetch(request) {
        const path = "/" + request.url.split("/").pop();
        if (path === "/throw") throw new Error("kaboom");
        if (path === "/reject") return Promise.reject(new TypeError("nope"));
        return "not a response";
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/throw"));
  (*worker)->Dispatch(2, Get("http://h/reject"));
  (*worker)->Dispatch(3, Get("http://h/other"));
  EXPECT_NE(host_.answers[1].error.find("kaboom"), std::string::npos) << host_.answers[1].error;
  EXPECT_NE(host_.answers[2].error.find("nope"), std::string::npos);
  EXPECT_NE(host_.answers[3].error, "");
  EXPECT_EQ(host_.answers[3].status, 0);
}

TEST_F(WorkerTest, TimerResolvesLater) {
  auto worker = Start(R"(
    export default {
      async fetch() {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return new Response("late");
      }
    };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, Get("http://h/"));
  EXPECT_EQ(host_.answers.count(1), 0u);
  ASSERT_EQ(host_.timers.size(), 1u);
  auto [timer_id, ms] = *host_.timers.begin();
  EXPECT_EQ(ms, 25);
  (*worker)->FireTimer(timer_id);
  EXPECT_EQ(host_.answers[1].body, "late");
}

TEST_F(WorkerTest, ScriptWithoutHandlerFailsToLoad) {
  auto worker = Start("export default { notFetch() {} };");
  ASSERT_FALSE(worker.ok());
  EXPECT_NE(worker.status().message().find("worker.js"), std::string_view::npos) << worker.status();
}

TEST_F(WorkerTest, RequestBodyReachesHandler) {
  auto worker = Start(R"(
    export default { async fetch(request) { const j = await request.json(); return Response.json({ got: j.n + 1 }); } };)");
  ASSERT_TRUE(worker.ok()) << worker.status();
  (*worker)->Dispatch(1, RequestView{"POST", "http://h/", {}, R"({"n":41})", true});
  EXPECT_EQ(host_.answers[1].body, R"({"got":42})");
}

}  // namespace
}  // namespace atl::bindings
