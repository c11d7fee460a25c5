#pragma once
// Native work too slow for the event loop's thread (an RSA key generation takes seconds, in one
// call nothing can interrupt), run on a thread of its own while the loop serves other requests.
// The native function returns a promise at once; when the work is done, its result comes back to
// the isolate's thread as a V8 foreground task (isolates::PumpPlatformTasks wakes the loop for
// it), which settles the promise; the promise's reactions then run as any JS run does.
//
//   class Keygen : public BackgroundJob { void Run() override {...}  // background thread
//     v8::Local<v8::Value> Finish(v8::Isolate*) override {...} };    // isolate's thread
//   v8::Local<v8::Promise> promise;
//   if (RunInBackground(isolate, std::make_unique<Keygen>(...)).ToLocal(&promise)) ...
//
// The jobs of one isolate are limited (isolates::kMaxBackgroundJobsPerIsolate in flight, one
// thread for the process); past that RunInBackground throws a RangeError. An isolate that goes
// away first drops its jobs (CancelBackgroundWork): their results are discarded.

#include <v8.h>

#include <memory>

namespace atl::bindings {

class BackgroundJob {
 public:
  virtual ~BackgroundJob() = default;
  // The work, on the background thread: no V8 here.
  virtual void Run() = 0;
  // On the isolate's thread, in the context that started the job: what the promise resolves to.
  virtual v8::Local<v8::Value> Finish(v8::Isolate* isolate) = 0;
};

// Starts `job`; a promise of the current context settled with its Finish(). Empty, with a
// RangeError thrown, when the isolate already has as many jobs in flight as it may.
v8::MaybeLocal<v8::Promise> RunInBackground(v8::Isolate* isolate, std::unique_ptr<BackgroundJob> job);

// Drops every job of `isolate` (on its thread, before it is disposed): their promises never
// settle, and work already running is thrown away when it ends.
void CancelBackgroundWork(v8::Isolate* isolate);

}  // namespace atl::bindings
