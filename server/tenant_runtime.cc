#include "server/tenant_runtime.h"

#include "base/log.h"

namespace atl::server {

TenantRuntime::TenantRuntime(uv_loop_t* loop) : loop_(loop) {
  // V8 posts foreground tasks (GC finalization, code flushing); run them a few times a second.
  uv_timer_init(loop_, &platform_tasks_);
  platform_tasks_.data = this;
  uv_timer_start(&platform_tasks_, [](uv_timer_t* t) {
    auto* self = static_cast<TenantRuntime*>(t->data);
    if (self->worker_) self->worker_->RunPlatformTasks();
  }, 100, 100);
  uv_unref(reinterpret_cast<uv_handle_t*>(&platform_tasks_));
}

TenantRuntime::~TenantRuntime() { Shutdown(); }

absl::Status TenantRuntime::Load(const bindings::WorkerOptions& options, cache::CodeCache* code_cache) {
  absl::StatusOr<std::unique_ptr<bindings::Worker>> worker = bindings::Worker::Create(options, this, code_cache);
  if (!worker.ok()) return worker.status();
  worker_ = std::move(*worker);
  return absl::OkStatus();
}

void TenantRuntime::Shutdown() {
  for (auto& [id, timer] : timers_) CloseTimer(timer);
  timers_.clear();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&platform_tasks_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&platform_tasks_), nullptr);
  }
  worker_.reset();
}

void TenantRuntime::Dispatch(uint64_t id, const bindings::RequestView& request) {
  worker_->Dispatch(id, request);
}

void TenantRuntime::OnResponse(uint64_t id, const bindings::ResponseView& response) {
  server_->Complete(id, response);
}

void TenantRuntime::OnScriptError(uint64_t id, std::string_view message) {
  base::LogLine(base::LogLevel::kError, message).Str("tenant", worker_->tenant_name()).Str("error", "script_error").Emit();
  server_->Fail(id, ServerError::kScriptError);
}

void TenantRuntime::SetTimer(uint32_t id, double delay_ms, bool repeat) {
  JsTimer*& timer = timers_[id];
  if (timer == nullptr) {
    timer = new JsTimer{{}, id, repeat, this};
    uv_timer_init(loop_, &timer->handle);
    timer->handle.data = timer;
  }
  timer->repeat = repeat;
  auto ms = static_cast<uint64_t>(delay_ms);
  uv_timer_start(&timer->handle, [](uv_timer_t* t) {
    auto* fired = static_cast<JsTimer*>(t->data);
    fired->owner->OnTimerFired(fired);
  }, ms, repeat ? std::max<uint64_t>(ms, 1) : 0);
}

void TenantRuntime::ClearTimer(uint32_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  CloseTimer(it->second);
  timers_.erase(it);
}

void TenantRuntime::CloseTimer(JsTimer* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* h) { delete static_cast<JsTimer*>(h->data); });
}

void TenantRuntime::OnTimerFired(JsTimer* timer) {
  uint32_t id = timer->id;
  if (!timer->repeat) {
    // A one-shot timer is gone once it fired; the callback may arm the same id again.
    timers_.erase(id);
    CloseTimer(timer);
  }
  if (worker_) worker_->FireTimer(id);
  server_->FlushDirty();
}

}  // namespace atl::server
