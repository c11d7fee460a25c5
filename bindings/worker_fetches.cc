// Worker's side of outbound fetch() (fetch.h, fetch_dispatch.h): starting a subrequest within
// the tenant's subrequests limit, charged to the request that made it; its body's writes and
// control; and the host's events (head, chunks, end, error) delivered into the context that
// made it, as runs charged to that request.
#include <string>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewLatin1String;
using isolates::NewString;

// Fetch ids are unique in the process (the host keeps one table for every tenant); all Workers
// run on the loop's thread.
uint64_t next_fetch_id = 1;

}  // namespace

void Worker::EraseFetch(uint64_t fetch) {
  auto it = fetches_.find(fetch);
  if (it == fetches_.end()) return;
  accounts_.Unref(it->second.request);
  fetches_.erase(it);
}

uint64_t Worker::StartFetch(const FetchRequestView& request, std::string* error) {
  ContextState* state = CurrentState();
  if (dead_ || state == nullptr || running_request_ == 0) {
    *error = request.socket
                 ? "connect() can only be called while handling a request (not at the top level of the script)"
                 : "fetch() can only be called while handling a request (not at the top level of the script)";
    return 0;
  }
  uint32_t& count = subrequests_[running_request_];
  if (count >= options_.limits.subrequests) {
    *error = base::StrCat(request.socket ? "connect()" : "fetch()", " refused: this request already made ",
                          options_.limits.subrequests, " subrequests (the tenant's subrequests limit)");
    return 0;
  }
  uint64_t fetch = next_fetch_id++;
  FetchRequestView charged = request;
  charged.request = running_request_;
  if (!host_->StartFetch(fetch, charged, error)) return 0;
  ++count;
  fetches_[fetch] = OutboundFetch{state->serial, running_request_};
  accounts_.Ref(running_request_);  // its events are charged to the request
  return fetch;
}

bool Worker::FetchWrite(uint64_t fetch, std::string_view bytes, bool end) {
  if (!fetches_.contains(fetch)) return false;
  return host_->FetchWrite(fetch, bytes, end);
}

void Worker::FetchControl(uint64_t fetch, bool cancel) {
  if (!fetches_.contains(fetch)) return;
  if (cancel) EraseFetch(fetch);
  host_->FetchControl(fetch, cancel);
}

bool Worker::SocketStartTls(uint64_t fetch, std::string_view name, std::string* error) {
  if (!fetches_.contains(fetch)) {
    *error = "the socket is closed";
    return false;
  }
  return host_->SocketStartTls(fetch, name, error);
}

void Worker::EndRequestIo(uint64_t id) {
  if (dead_ || inflight_.contains(id) || request_wait_untils_.contains(id)) return;
  bool armed = !ended_fetches_.empty();
  for (auto& [fetch, info] : fetches_) {
    if (info.request != id || info.ended) continue;
    info.ended = true;
    ended_fetches_.push_back(fetch);
  }
  // Cancelled from the loop, not here: this may run inside the tenant's JS (its response sent),
  // and cancelling a service binding's call runs the called tenant's JS.
  if (!armed && !ended_fetches_.empty()) host_->SetTimer(kEndedFetchesTimer, 0, false);
}

void Worker::FailEndedFetches() {
  std::vector<uint64_t> ended = std::move(ended_fetches_);
  ended_fetches_.clear();
  FetchEventView error;
  error.kind = FetchEventKind::kError;
  error.data = "the body of a fetch() is read after the request that made it ended (its connection was closed then)";
  for (uint64_t fetch : ended) {
    if (!fetches_.contains(fetch)) continue;  // it ended meanwhile
    host_->FetchControl(fetch, true);  // the connection closes; no more events come from the host
    if (!dead_ && fetches_.contains(fetch)) DeliverFetchEvent(fetch, error);
  }
}

bool Worker::DeliverFetchEvent(uint64_t fetch, const FetchEventView& event) {
  auto it = fetches_.find(fetch);
  if (dead_ || it == fetches_.end()) return false;
  OutboundFetch info = it->second;
  bool last = event.kind == FetchEventKind::kEnd || event.kind == FetchEventKind::kError;
  // The last event's run is still charged to the request: its hold ends after it.
  if (last) fetches_.erase(it);
  struct Release {
    isolates::CpuAccounts* accounts;
    uint64_t request;
    ~Release() { if (accounts) accounts->Unref(request); }
  } release{last ? &accounts_ : nullptr, info.request};
  auto state_it = contexts_.find(info.serial);
  if (state_it == contexts_.end()) return false;
  ContextState* state = state_it->second.get();
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = state->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> a = v8::Undefined(isolate_), b = v8::Undefined(isolate_), c = v8::Undefined(isolate_);
  v8::Local<v8::Value> d = v8::Undefined(isolate_);
  switch (event.kind) {
    case FetchEventKind::kHead: {
      a = v8::Integer::New(isolate_, event.status);
      b = NewLatin1String(isolate_, event.status_text);
      std::vector<v8::Local<v8::Value>> items;
      items.reserve(event.headers.size() * 2);
      for (const HeaderView& header : event.headers) {
        items.push_back(NewLatin1String(isolate_, header.first));
        items.push_back(NewLatin1String(isolate_, header.second));
      }
      c = v8::Array::New(isolate_, items.data(), items.size());
      // An upgraded fetch: the socket's events come to this context (as an accepted socket's),
      // within the tenant's max_websockets; past it the JS side sees no socket (0).
      if (event.web_socket != 0 && sockets_.size() < options_.limits.max_websockets) {
        sockets_[event.web_socket] = state->serial;
        ++state->sockets;
        d = v8::Number::New(isolate_, static_cast<double>(event.web_socket));
      }
      break;
    }
    case FetchEventKind::kChunk: {
      v8::TryCatch refused(isolate_);
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBufferCopy(isolate_, event.data).ToLocal(&buffer)) {
        NoticeKill();
        return false;
      }
      a = buffer;
      break;
    }
    case FetchEventKind::kError:
      a = NewString(isolate_, event.data);
      break;
    default:
      break;
  }
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(fetch)),
                                 v8::Integer::New(isolate_, static_cast<int>(event.kind)), a, b, c, d};
  v8::Local<v8::Value> result;
  std::string error;
  if (!CallIntoJs(state, state->on_fetch_event.Get(isolate_), 6, argv, &error, info.request, &result)) {
    if (!dead_) base::LogLine(base::LogLevel::kError, error).Str("tenant", options_.tenant_name).Emit();
    return false;
  }
  return !result.IsEmpty() && result->IsTrue();
}

}  // namespace atl::bindings
