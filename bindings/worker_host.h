#pragma once
// The boundary between a tenant's JS and the server around it: what a Worker hands out
// (responses, script errors, limit kills) and what it asks of the event loop (timers).
// Implemented in server/; bindings never see the loop library.

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "isolates/limits.h"

namespace atl::bindings {

using HeaderView = std::pair<std::string_view, std::string_view>;

// A request as the server parsed it. Views are valid for the duration of Worker::Dispatch.
struct RequestView {
  std::string_view method;
  std::string_view url;                 // absolute: "http://host/path?query"
  std::span<const HeaderView> headers;  // names lower-case, in the order received
  std::string_view body;
  bool has_body = false;
  // The body is not in `body`: it arrives later through Worker::PushUpload / EndUpload.
  bool body_streamed = false;
};

// A response the handler produced. Views are valid only during WorkerHost::OnResponse.
struct ResponseView {
  int status = 200;
  std::string_view status_text;         // empty: the standard reason phrase
  std::span<const HeaderView> headers;  // validated by the Headers class; names lower-case
  std::string_view body;
  // The body is not in `body`: it follows through OnBodyChunk, then OnBodyEnd.
  bool body_streamed = false;
};

class WorkerHost {
 public:
  virtual ~WorkerHost() = default;
  // Request `id` is answered. Called at most once per id, from inside Dispatch or a timer.
  virtual void OnResponse(uint64_t id, const ResponseView& response) = 0;
  // Request `id` failed in the script (500 script_error); `message` is for the log only.
  virtual void OnScriptError(uint64_t id, std::string_view message) = 0;
  // Arms timer `key` to fire after `delay_ms` (every `delay_ms` when `repeat`), then
  // Worker::FireTimer(key). Arming an armed key re-arms it.
  virtual void SetTimer(uint64_t key, double delay_ms, bool repeat) = 0;
  virtual void ClearTimer(uint64_t key) = 0;
  // A limit stopped the isolate: the Worker is dead and answers nothing more. The host fails
  // the requests still in flight on it (Worker::InflightIds) and drops the Worker later, not
  // from inside this call.
  virtual void OnKilled(isolates::LimitKind why) = 0;

  // Streamed bodies (the defaults refuse them, for hosts that never stream).
  // Request `id` is answered with a head whose body follows (ResponseView::body_streamed): false
  // if nobody waits for it any more (the Worker then cancels the body stream).
  virtual bool OnStreamedResponse(uint64_t id, const ResponseView& response) { return false; }
  // A chunk of request `id`'s streamed response body. False: the client is not keeping up (or is
  // gone); the Worker writes no more until Worker::ResumeResponse(id).
  virtual bool OnBodyChunk(uint64_t id, std::string_view bytes) { return false; }
  // The streamed response body of `id` ended: `complete`, or cut short by an error.
  virtual void OnBodyEnd(uint64_t id, bool complete) {}
  // The handler wants more of request `id`'s streamed body (`cancel` false: read the socket
  // again), or none of the rest (`cancel`: discard it).
  virtual void OnUploadControl(uint64_t id, bool cancel) {}
};

}  // namespace atl::bindings
