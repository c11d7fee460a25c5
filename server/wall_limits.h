#pragma once
// The wall-time limit of requests answered after their handler returned (SPEC §4: 503
// wall_limit): a queue of deadlines and one uv timer armed for the earliest. Answered requests
// stay queued (removing them would cost more than skipping them): when a deadline passes,
// `expired(id, tenant)` decides whether the request is still unanswered; after each batch of
// passed deadlines `after()` runs (the server writes what the failures produced).
//
//   WallLimits wall(loop, [&](uint64_t id, uint32_t tenant) { ... }, [&] { server.FlushDirty(); });
//   wall.Add(id, tenant, spec.limits.wall_ms);
//   wall.Shutdown();  // closes the timer; the loop must run once more before the destructor

#include <uv.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace atl::server {

class WallLimits {
 public:
  using Expired = std::function<void(uint64_t id, uint32_t tenant)>;
  WallLimits(uv_loop_t* loop, Expired expired, std::function<void()> after);
  ~WallLimits();
  WallLimits(const WallLimits&) = delete;
  WallLimits& operator=(const WallLimits&) = delete;

  // Request `id` of `tenant` must be answered within `wall_ms` from now (the loop's time).
  void Add(uint64_t id, uint32_t tenant, uint64_t wall_ms);
  // Deadlines not passed yet, answered or not.
  size_t queued() const { return queue_.size(); }
  void Shutdown();

 private:
  struct Deadline {
    uint64_t at_ms;
    uint64_t id;
    uint32_t tenant;
    bool operator>(const Deadline& other) const { return at_ms > other.at_ms; }
  };
  void Arm();
  void OnTimer();

  uv_loop_t* loop_;
  Expired expired_;
  std::function<void()> after_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> queue_;
  uv_timer_t timer_;
  uint64_t timer_at_ = 0;  // when the armed timer fires
};

}  // namespace atl::server
