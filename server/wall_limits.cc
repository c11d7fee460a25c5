#include "server/wall_limits.h"

#include <utility>

namespace atl::server {

WallLimits::WallLimits(uv_loop_t* loop, Expired expired, std::function<void()> after)
    : loop_(loop), expired_(std::move(expired)), after_(std::move(after)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
}

WallLimits::~WallLimits() { Shutdown(); }

void WallLimits::Shutdown() {
  auto* handle = reinterpret_cast<uv_handle_t*>(&timer_);
  if (!uv_is_closing(handle)) uv_close(handle, nullptr);
}

void WallLimits::Add(uint64_t id, uint32_t tenant, uint64_t wall_ms) {
  queue_.push({uv_now(loop_) + wall_ms, id, tenant});
  Arm();
}

void WallLimits::Arm() {
  if (queue_.empty() || uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) return;
  uint64_t at = queue_.top().at_ms;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_)) && timer_at_ <= at) return;
  timer_at_ = at;
  uint64_t now = uv_now(loop_);
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<WallLimits*>(t->data)->OnTimer(); },
                 at > now ? at - now : 0, 0);
}

void WallLimits::OnTimer() {
  uint64_t now = uv_now(loop_);
  while (!queue_.empty() && queue_.top().at_ms <= now) {
    Deadline passed = queue_.top();
    queue_.pop();
    expired_(passed.id, passed.tenant);
  }
  if (after_) after_();
  Arm();
}

}  // namespace atl::server
