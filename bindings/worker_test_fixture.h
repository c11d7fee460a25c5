#pragma once
// The fixture of the Worker's tests (worker_test.cc, worker_first_use_test.cc): a Worker on a
// fresh isolate from the runtime snapshot, with a host that records what it hands back.

#include "bindings/runtime_snapshot.h"
#include "bindings/worker.h"
#include "isolates/cpu_watchdog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace atl::bindings {

// Records what a Worker hands back; timers are fired by the test itself.
class FakeHost : public WorkerHost {
 public:
  struct Answer {
    int status = 0;
    std::string status_text, body, error;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::map<uint64_t, Answer> answers;
  std::map<uint64_t, double> timers;
  std::vector<isolates::LimitKind> kills;

  void OnResponse(uint64_t id, const ResponseView& r) override {
    Answer& a = answers[id];
    a.status = r.status;
    a.status_text = r.status_text;
    a.body = r.body;
    for (auto& [n, v] : r.headers) a.headers.emplace_back(n, v);
  }
  void OnScriptError(uint64_t id, std::string_view message) override { answers[id].error = message; }
  void SetTimer(uint64_t key, double ms, bool) override { timers[key] = ms; }
  void ClearTimer(uint64_t key) override { timers.erase(key); }
  void OnKilled(isolates::LimitKind why) override { kills.push_back(why); }
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("atoll-worker-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::StatusOr<std::unique_ptr<Worker>> Start(const std::string& source, WorkerOptions options = {}) {
    std::ofstream(dir_ / "worker.js") << source;
    options.script_path = dir_ / "worker.js";
    auto blueprint = RuntimeBlueprint(128);
    if (!blueprint.ok()) return blueprint.status();
    return Worker::Create(options, isolates::TenantIsolate::Create(*blueprint), &host_, &cache_, &watchdog_);
  }

  static RequestView Get(std::string_view url, std::span<const HeaderView> headers = {}) {
    return RequestView{.method = "GET", .url = url, .headers = headers};
  }

  std::filesystem::path dir_;
  FakeHost host_;
  cache::CodeCache cache_;
  isolates::CpuWatchdog watchdog_;
};

}  // namespace atl::bindings
