#include "bindings/background_work.h"

#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "isolates/limits.h"
#include "isolates/platform.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// One job in flight. V8 handles are touched only on the isolate's thread; `cancelled` and the
// queues are guarded by the pool's mutex.
struct Pending {
  v8::Isolate* isolate = nullptr;
  std::unique_ptr<BackgroundJob> job;
  v8::Global<v8::Context> context;
  v8::Global<v8::Promise::Resolver> resolver;
  bool cancelled = false;
};

// The thread that runs the jobs of every isolate of the process, in the order they came, at the
// lowest priority.
class Pool {
 public:
  static Pool& Get() {
    static Pool* pool = new Pool();  // lives as long as the process (its thread never ends)
    return *pool;
  }

  bool Add(const std::shared_ptr<Pending>& pending) {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Pending>>& mine = live_[pending->isolate];
    if (mine.size() >= isolates::kMaxBackgroundJobsPerIsolate) return false;
    mine.push_back(pending);
    queue_.push_back(pending);
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    wake_.notify_one();
    return true;
  }

  // On the isolate's thread: takes `pending` out of its isolate's list; false if it was cancelled.
  bool Remove(const Pending* pending) {
    std::lock_guard lock(mutex_);
    if (pending->cancelled) return false;
    auto it = live_.find(pending->isolate);
    if (it == live_.end()) return false;
    std::erase_if(it->second, [&](const std::shared_ptr<Pending>& p) { return p.get() == pending; });
    if (it->second.empty()) live_.erase(it);
    return true;
  }

  // On the isolate's thread: its jobs are dropped; their V8 handles are released here.
  void Cancel(v8::Isolate* isolate) {
    std::vector<std::shared_ptr<Pending>> mine;
    {
      std::lock_guard lock(mutex_);
      auto it = live_.find(isolate);
      if (it == live_.end()) return;
      mine.swap(it->second);
      live_.erase(it);
      for (auto& pending : mine) pending->cancelled = true;
    }
    for (auto& pending : mine) {
      pending->resolver.Reset();
      pending->context.Reset();
    }
  }

 private:
  // Settles a finished job's promise on the isolate's thread (run by PumpPlatformTasks).
  class FinishTask : public v8::Task {
   public:
    explicit FinishTask(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {}
    void Run() override {
      if (!Pool::Get().Remove(pending_.get())) return;
      v8::Isolate* isolate = pending_->isolate;
      v8::HandleScope handles(isolate);
      v8::Local<v8::Context> context = pending_->context.Get(isolate);
      v8::Context::Scope context_scope(context);
      v8::TryCatch ignored(isolate);  // a limit kill while making the result: the Worker notices it
      v8::Local<v8::Value> value = pending_->job->Finish(isolate);
      // Nothing only when a limit kill stops it (the TryCatch above): the Worker notices that.
      if (!value.IsEmpty()) pending_->resolver.Get(isolate)->Resolve(context, value).FromMaybe(false);
      pending_->resolver.Reset();
      pending_->context.Reset();
    }

   private:
    std::shared_ptr<Pending> pending_;
  };

  void Loop() {
    // Lowest priority (nice 19, this thread only): a tenant's key generation uses what CPU the
    // request path leaves, and never slows the loop that serves everyone else.
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
    for (;;) {
      std::shared_ptr<Pending> pending;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty(); });
        pending = std::move(queue_.front());
        queue_.pop_front();
        if (pending->cancelled) continue;
      }
      pending->job->Run();
      // Posted only while the job is live: a cancelled job's isolate may be gone.
      std::lock_guard lock(mutex_);
      if (!pending->cancelled) isolates::PostForegroundTask(pending->isolate, std::make_unique<FinishTask>(pending));
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Pending>> queue_;
  absl::flat_hash_map<v8::Isolate*, std::vector<std::shared_ptr<Pending>>> live_;
  std::thread thread_;
};

}  // namespace

v8::MaybeLocal<v8::Promise> RunInBackground(v8::Isolate* isolate, std::unique_ptr<BackgroundJob> job) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  auto pending = std::make_shared<Pending>();
  pending->isolate = isolate;
  pending->job = std::move(job);
  pending->context.Reset(isolate, context);
  pending->resolver.Reset(isolate, resolver);
  if (!Pool::Get().Add(pending)) {
    pending->context.Reset();
    pending->resolver.Reset();
    isolate->ThrowException(v8::Exception::RangeError(
        isolates::NewString(isolate, "too many slow cryptographic operations in flight in this isolate")));
    return {};
  }
  return resolver->GetPromise();
}

void CancelBackgroundWork(v8::Isolate* isolate) { Pool::Get().Cancel(isolate); }

}  // namespace atl::bindings
