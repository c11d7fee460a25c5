// Worker: every entry into a tenant's JS, the CPU account it is charged to, and what JS leaves
// pending for later runs (timers, waitUntil promises, unhandled rejections, console output).
#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::CpuAccounts;
using isolates::NewString;
using isolates::NewSymbolString;

uint64_t Ns(std::chrono::steady_clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}
uint64_t Ns(std::chrono::steady_clock::time_point t) { return Ns(t.time_since_epoch()); }

// Worker::ChargedOnThisThread: one JS thread per process runs every Worker of a process.
thread_local uint64_t charged_on_this_thread = 0;

}  // namespace

uint64_t Worker::StartupBudgetNs() const {
  return uint64_t{std::max(options_.limits.cpu_ms, options_.limits.startup_cpu_ms)} * 1'000'000u;
}

void Worker::BeginSegment(uint64_t budget_ns, Clock::time_point now) {
  segment_start_ = now;
  if (watchdog_ != nullptr) watchdog_->Enter(tenant_isolate_.get(), budget_ns, now);
}

uint64_t Worker::EndSegment(Clock::time_point now) {
  if (watchdog_ != nullptr) return watchdog_->Exit(now);
  return now > segment_start_ ? Ns(now - segment_start_) : 0;
}

void Worker::EnterJs(uint64_t budget_ns, Clock::time_point now) {
  if (js_depth_++ > 0) return;
  isolates::AdvanceClock();
  run_budget_ns_ = budget_ns;
  run_used_ns_ = 0;
  platform_depth_ = 0;
  BeginSegment(budget_ns, now);
}

uint64_t Worker::ExitJs(Clock::time_point now) {
  if (--js_depth_ > 0) return 0;
  uint64_t last = EndSegment(now);
  if (platform_depth_ > 0) {  // a kill unwound the run from inside platform work
    platform_depth_ = 0;
    return run_used_ns_;
  }
  return run_used_ns_ + last;
}

uint64_t Worker::ChargedOnThisThread() { return charged_on_this_thread; }

void Worker::EnterPlatform(uint64_t extra_ns) {
  if (js_depth_ == 0 || platform_depth_++ > 0) return;
  Clock::time_point now = Clock::now();
  run_used_ns_ += EndSegment(now);
  BeginSegment(uint64_t{caps_.platform_cpu_ms} * 1'000'000u + extra_ns, now);
}

void Worker::ExitPlatform() {
  if (js_depth_ == 0 || platform_depth_ == 0 || --platform_depth_ > 0) return;
  Clock::time_point now = Clock::now();
  EndSegment(now);  // the platform's time, not the tenant's
  BeginSegment(run_budget_ns_ - std::min(run_budget_ns_, run_used_ns_), now);
}

bool Worker::CallIntoJs(ContextState* state, v8::Local<v8::Function> fn, int argc, v8::Local<v8::Value>* argv,
                        std::string* error, uint64_t request, v8::Local<v8::Value>* result) {
  bool startup = request == kStartupRun;
  if (startup || !accounts_.Has(request)) request = CpuAccounts::kBackground;
  bool outer = js_depth_ == 0;
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  // The wall clock, read twice per run: the CPU clock is a system call (microseconds here), and
  // the JS thread does nothing else while JS runs; the watchdog corrects long runs (cpu_watchdog.h).
  Clock::time_point start = Clock::now();
  uint64_t budget_ns = startup ? StartupBudgetNs() : accounts_.Remaining(request, Ns(start));
  accounts_.Ref(request);  // the run keeps its account, whatever it answers or cancels meanwhile
  uint64_t previous_request = running_request_;
  running_request_ = request;
  EnterJs(budget_ns, start);
  bool ok;
  {
    v8::TryCatch try_catch(isolate_);
    v8::Local<v8::Value> value;
    // Each entry from the event loop starts and ends in the root async context frame
    // (async_context.h): what a run left current (AsyncLocalStorage enterWith) is not another's.
    v8::Local<v8::Value> root = state->async_root_frame.IsEmpty() ? v8::Undefined(isolate_).As<v8::Value>()
                                                                 : state->async_root_frame.Get(isolate_);
    if (outer) context->SetContinuationPreservedEmbedderData(root);
    ok = fn->Call(context, v8::Undefined(isolate_), argc, argv).ToLocal(&value);
    if (ok && result != nullptr) *result = value;
    if (!ok && error) *error = isolates::DescribeException(isolate_, try_catch);
    // The checkpoint starts in the root frame too (a frame this run left current is nobody's
    // reactions'); a nested run gives its caller its frame back.
    v8::Local<v8::Value> frame = outer ? root : context->GetContinuationPreservedEmbedderData();
    context->SetContinuationPreservedEmbedderData(root);
    if (killed() == isolates::LimitKind::kNone) isolate_->PerformMicrotaskCheckpoint();
    context->SetContinuationPreservedEmbedderData(frame);
  }
  Clock::time_point end = Clock::now();
  uint64_t used = ExitJs(end);
  running_request_ = previous_request;
  // Nested runs are part of the outer one, which is charged for them. The account that ran dry
  // is logged whether this kills the isolate or the watchdog already did (a run killed for its
  // budget is charged that budget).
  if (outer && !startup) charged_on_this_thread += used;
  if (outer && !startup && accounts_.Charge(request, used, Ns(end)) &&
      (killed() == isolates::LimitKind::kNone || killed() == isolates::LimitKind::kCpu)) {
    base::LogLine(base::LogLevel::kWarn, "cpu budget spent")
        .Str("tenant", options_.tenant_name)
        .Str("account", request == CpuAccounts::kBackground ? "background"
                        : inflight_.contains(request)      ? "request"
                                                            : "request after its response")
        .Num("cpu_ms", static_cast<double>(accounts_.Used(request)) / 1e6)
        .Emit();
    if (killed() == isolates::LimitKind::kNone) tenant_isolate_->Kill(isolates::LimitKind::kCpu);
  }
  accounts_.Unref(request);
  if (!outer) return ok;
  tenant_isolate_->CheckExternalMemory();
  if (NoticeKill()) return false;
  if (!unhandled_rejections_.empty()) LogUnhandledRejections();
  DropRetired();
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Timers

bool Worker::ArmTimer(uint32_t id, double delay_ms, bool repeat) {
  ContextState* state = CurrentState();
  if (state == nullptr) return true;
  auto [it, added] = state->timers.try_emplace(id);
  if (added) {
    if (pending_timers_ >= caps_.max_pending_timers) {
      state->timers.erase(it);
      return false;
    }
    ++pending_timers_;
  } else {
    accounts_.Unref(it->second.request);
  }
  // JS the timer runs is charged to the account of the JS that armed it.
  it->second = Timer{repeat, running_request_};
  accounts_.Ref(running_request_);
  host_->SetTimer(TimerKey(state->serial, id), delay_ms, repeat);
  return true;
}

void Worker::CancelTimer(uint32_t id) {
  ContextState* state = CurrentState();
  if (state == nullptr) return;
  auto it = state->timers.find(id);
  if (it == state->timers.end()) return;
  accounts_.Unref(it->second.request);
  state->timers.erase(it);
  --pending_timers_;
  host_->ClearTimer(TimerKey(state->serial, id));
}

void Worker::ForgetTimers(ContextState* state) {
  for (auto& [id, timer] : state->timers) {
    host_->ClearTimer(TimerKey(state->serial, id));
    accounts_.Unref(timer.request);
    --pending_timers_;
  }
  state->timers.clear();
}

void Worker::FireTimer(uint64_t key) {
  if (dead_) return;
  if (key == kWaitUntilTimer) {
    ExpireWaitUntil();
    return;
  }
  if (key == kEndedFetchesTimer) {
    FailEndedFetches();
    return;
  }
  auto it = contexts_.find(static_cast<uint32_t>(key >> 32));
  if (it == contexts_.end()) return;
  ContextState* state = it->second.get();
  auto id = static_cast<uint32_t>(key);
  auto timer = state->timers.find(id);
  if (timer == state->timers.end()) return;
  uint64_t request = timer->second.request;
  bool once = !timer->second.repeat;
  if (once) {
    state->timers.erase(timer);  // its hold on the account ends after the run
    --pending_timers_;
  }
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Context::Scope context_scope(state->context.Get(isolate_));
  v8::Local<v8::Value> argv[] = {v8::Integer::NewFromUnsigned(isolate_, id)};
  std::string error;
  if (!CallIntoJs(state, state->on_timer.Get(isolate_), 1, argv, &error, request) && !dead_) {
    base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
  if (once) accounts_.Unref(request);
}

// ---------------------------------------------------------------------------------------------
// waitUntil

void Worker::WaitUntil(uint64_t id, v8::Local<v8::Promise> promise) {
  ContextState* state = CurrentState();
  if (state == nullptr) return;
  // The request's I/O lasts until its waitUntil promises settle (EndRequestIo), in every context.
  if (id != 0 && (inflight_.contains(id) || request_wait_untils_.contains(id))) {
    auto request_settled = [](const v8::FunctionCallbackInfo<v8::Value>& info) {
      auto* self = static_cast<Worker*>(info.GetIsolate()->GetData(kWorkerIsolateSlot));
      if (self == nullptr) return;
      auto request = static_cast<uint64_t>(info.Data().As<v8::Number>()->Value());
      auto it = self->request_wait_untils_.find(request);
      if (it == self->request_wait_untils_.end() || --it->second.pending > 0) return;
      self->request_wait_untils_.erase(it);
      self->EndRequestIo(request);
    };
    v8::Local<v8::Context> context = state->context.Get(isolate_);
    v8::Local<v8::Function> fn;
    if (v8::Function::New(context, request_settled, v8::Number::New(isolate_, static_cast<double>(id))).ToLocal(&fn) &&
        !promise->Then(context, fn, fn).IsEmpty()) {
      ++request_wait_untils_[id].pending;
    }
  }
  if (!state->single_use) return;  // a shared context lives on anyway
  ++state->wait_until;
  if (!inflight_.contains(id)) StartWaitUntilClock(state);  // called after the response
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  auto settled = [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* self = static_cast<Worker*>(info.GetIsolate()->GetData(kWorkerIsolateSlot));
    if (self == nullptr) return;
    auto it = self->contexts_.find(static_cast<uint32_t>(info.Data().As<v8::Uint32>()->Value()));
    if (it == self->contexts_.end() || it->second->wait_until == 0) return;
    --it->second->wait_until;
    self->MaybeRetire(it->second.get());
  };
  v8::Local<v8::Function> fn;
  if (!v8::Function::New(context, settled, v8::Integer::NewFromUnsigned(isolate_, state->serial)).ToLocal(&fn) ||
      promise->Then(context, fn, fn).IsEmpty()) {
    --state->wait_until;  // nothing will call `settled` (the run is being terminated)
  }
}

void Worker::StartWaitUntilClock(ContextState* state) {
  if (!state->single_use || state->wait_until == 0 || state->wait_until_deadline_ns != 0) return;
  state->wait_until_deadline_ns = Ns(Clock::now()) + uint64_t{options_.limits.wait_until_ms} * 1'000'000u;
  ArmWaitUntilTimer(state->wait_until_deadline_ns);
}

void Worker::ArmWaitUntilTimer(uint64_t deadline_ns) {
  if (wait_until_timer_ns_ != 0 && wait_until_timer_ns_ <= deadline_ns) return;
  wait_until_timer_ns_ = deadline_ns;
  uint64_t now = Ns(Clock::now());
  double ms = deadline_ns > now ? static_cast<double>(deadline_ns - now) / 1e6 + 1 : 1;
  host_->SetTimer(kWaitUntilTimer, ms, false);
}

void Worker::StartRequestWaitUntilClock(uint64_t id) {
  auto it = request_wait_untils_.find(id);
  if (it == request_wait_untils_.end() || it->second.deadline_ns != 0) return;
  it->second.deadline_ns = Ns(Clock::now()) + uint64_t{options_.limits.wait_until_ms} * 1'000'000u;
  ArmWaitUntilTimer(it->second.deadline_ns);
}

void Worker::ExpireWaitUntil() {
  wait_until_timer_ns_ = 0;
  uint64_t now = Ns(Clock::now());
  uint64_t next = 0;
  std::vector<uint64_t> expired;
  for (const auto& [id, wait] : request_wait_untils_) {
    if (wait.deadline_ns == 0) continue;
    if (wait.deadline_ns <= now) expired.push_back(id);
    else if (next == 0 || wait.deadline_ns < next) next = wait.deadline_ns;
  }
  for (uint64_t id : expired) {
    request_wait_untils_.erase(id);
    EndRequestIo(id);
  }
  for (auto& [serial, state] : contexts_) {
    if (state->wait_until == 0 || state->wait_until_deadline_ns == 0) continue;
    if (state->wait_until_deadline_ns > now) {
      if (next == 0 || state->wait_until_deadline_ns < next) next = state->wait_until_deadline_ns;
      continue;
    }
    base::LogLine(base::LogLevel::kWarn, "waitUntil still pending after wait_until_ms: its context is dropped")
        .Str("tenant", options_.tenant_name)
        .Int("pending", state->wait_until)
        .Int("wait_until_ms", options_.limits.wait_until_ms)
        .Emit();
    state->wait_until = 0;
    state->reusable = false;  // what it waited for may still hold on to it: dropped, not reused
    MaybeRetire(state.get());
  }
  if (js_depth_ == 0) DropRetired();
  if (next != 0) ArmWaitUntilTimer(next);
}

// ---------------------------------------------------------------------------------------------
// Console output

bool Worker::ChargeLog(size_t bytes) {
  switch (accounts_.ChargeLog(running_request_, bytes, Ns(Clock::now()))) {
    case CpuAccounts::LogVerdict::kWrite:
      return true;
    case CpuAccounts::LogVerdict::kTruncate:
      base::LogLine(base::LogLevel::kWarn,
                    base::StrCat("console output truncated: more than ", caps_.max_log_bytes, " bytes ",
                                 running_request_ == CpuAccounts::kBackground ? "outside requests"
                                                                              : "from one request",
                                 "; the rest is dropped"))
          .Str("tenant", options_.tenant_name)
          .Emit();
      return false;
    case CpuAccounts::LogVerdict::kDrop:
      return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Unhandled rejections

void Worker::OnPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  auto* self = static_cast<Worker*>(isolate->GetData(kWorkerIsolateSlot));
  if (self == nullptr) return;
  auto& pending = self->unhandled_rejections_;
  if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
    // Nothing is read from the reason here: most such rejections get a handler before the run
    // ends (an await of a rejected promise), and formatting an error's stack for each one was
    // ~1M instructions (Hono's requests: 5% of a cold one). Described when reported, in JS.
    // Its event is charged to the account of the run that rejected it.
    self->accounts_.Ref(self->running_request_);
    pending.push_back({v8::Global<v8::Promise>(isolate, promise), self->running_request_});
  } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
    std::erase_if(pending, [&](const Rejection& r) {
      if (r.promise != promise) return false;
      self->accounts_.Unref(r.request);
      return true;
    });
  }
}

void Worker::LogUnhandledRejections() {
  std::vector<Rejection> rejections = std::move(unhandled_rejections_);
  unhandled_rejections_.clear();
  for (Rejection& rejection : rejections) {
    if (!DispatchUnhandledRejection(rejection)) {
      base::LogLine(base::LogLevel::kError, base::StrCat("Uncaught (in promise) ", DescribeWithoutJs(rejection)))
          .Str("tenant", options_.tenant_name)
          .Emit();
    }
    accounts_.Unref(rejection.request);
  }
}

std::string Worker::DescribeWithoutJs(const Rejection& rejection) {
  if (dead_) return "(the isolate is gone)";
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Value> reason = rejection.promise.Get(isolate_)->Result();
  // No getter or toString of the tenant's runs outside a run: a primitive's text, or an object's
  // constructor name.
  if (reason->IsObject()) return base::StrCat("[", isolates::ToUtf8(isolate_, reason.As<v8::Object>()->GetConstructorName()), "]");
  if (reason->IsSymbol()) return "Symbol()";
  return isolates::ToUtf8(isolate_, reason);
}

bool Worker::DispatchUnhandledRejection(const Rejection& rejection) {
  if (dead_) return false;
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Promise> promise = rejection.promise.Get(isolate_);
  v8::Local<v8::Context> context;
  if (!promise->GetCreationContext().ToLocal(&context)) return false;
  // The context's state, if the context is still one of ours (a dropped per-request context's
  // embedder data points at freed memory, so it is looked up rather than read).
  ContextState* state = nullptr;
  for (auto& [serial, candidate] : contexts_) {
    if (candidate->context == context) state = candidate.get();
  }
  if (state == nullptr || state->unhandled_rejection.IsEmpty()) return false;
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> argv[] = {promise, promise->Result()};
  std::string error;
  if (!CallIntoJs(state, state->unhandled_rejection.Get(isolate_), 2, argv, &error, rejection.request) && !dead_) {
    base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// V8's own tasks

void Worker::RunPlatformTasks(bool as_platform) {
  if (!tenant_isolate_ || dead_) return;
  v8::Isolate::Scope isolate_scope(isolate_);
  if (js_depth_ > 0) return;
  // V8's tasks are mostly its own (GC): the pump runs under the watchdog with what is left of the
  // background account and is not charged. FinalizationRegistry callbacks are tenant JS, bounded
  // that way. A task may also settle a promise (an asynchronous WebAssembly compile or
  // instantiate): its reactions are the tenant's JS, run in a checkpoint charged to the
  // background account (the request that awaited it is not known here).
  v8::HandleScope handles(isolate_);
  Clock::time_point start = Clock::now();
  uint64_t previous_request = running_request_;
  running_request_ = isolates::CpuAccounts::kBackground;
  EnterJs(accounts_.Remaining(isolates::CpuAccounts::kBackground, Ns(start)), start);
  if (as_platform) EnterPlatform();
  bool ran = isolates::PumpPlatformTasks(isolate_);
  if (as_platform) ExitPlatform();
  ExitJs(Clock::now());
  if (ran && killed() == isolates::LimitKind::kNone) {
    Clock::time_point reactions = Clock::now();
    EnterJs(accounts_.Remaining(isolates::CpuAccounts::kBackground, Ns(reactions)), reactions);
    isolate_->PerformMicrotaskCheckpoint();
    Clock::time_point end = Clock::now();
    if (accounts_.Charge(isolates::CpuAccounts::kBackground, ExitJs(end), Ns(end)) &&
        killed() == isolates::LimitKind::kNone) {
      tenant_isolate_->Kill(isolates::LimitKind::kCpu);
    }
  }
  running_request_ = previous_request;
  if (NoticeKill() || !ran) return;
  tenant_isolate_->CheckExternalMemory();
  if (NoticeKill()) return;
  if (!unhandled_rejections_.empty()) LogUnhandledRejections();
  DropRetired();
}

}  // namespace atl::bindings
