#pragma once
// The native half of fetch() and service bindings (js/lazy/fetch.js). The HTTP client, the SSRF
// guard and service dispatch are the host's (server/outbound.h); these only cross the boundary.
//
//   native.fetchStart(service, method, url, https, host, port, target, flatHeaders, body, streamed)
//       -> fetch id; throws a TypeError when refused at once (no request running, over the
//          tenant's `subrequests`). `service` "" for the network, else an env binding name.
//          `body` a Uint8Array or null; `streamed` true: the body follows through fetchWrite.
//   native.fetchWrite(id, uint8ArrayOrNull) -> boolean   a chunk of the streamed request body
//          (null: its end); false: wait for the drain event
//   native.fetchControl(id, cancel)   the response body stream wants more, or the fetch is cancelled
// Events come back through internal.onFetchEvent(id, kind, a, b, c) (worker_host.h FetchEventKind):
//   head (status, statusText, flatHeaders), chunk (ArrayBuffer; answers whether it wants more),
//   end, error (message), drain.

#include <v8.h>

namespace atl::bindings {
class NativeScope;
class Worker;
struct FetchRequestView;
void InstallFetch(NativeScope& scope);
// Starts `request` on `worker` (Worker::StartFetch) and returns its id to JS, or throws the
// refusal as a TypeError (fetchStart, socketStart).
void StartFetchForJs(const v8::FunctionCallbackInfo<v8::Value>& info, Worker* worker, const FetchRequestView& request);
}  // namespace atl::bindings
