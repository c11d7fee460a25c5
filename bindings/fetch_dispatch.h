#pragma once
// The fetch event's way back (https://fetch.spec.whatwg.org/#responses): js/90_dispatch.js calls
// native.respond(id, status, statusText, headers, body) or native.fail(id, message) exactly once
// per request; this unit turns the call into a ResponseView for the WorkerHost, copying nothing
// it can view in place.

namespace atl::bindings {
class NativeScope;

void InstallFetchDispatch(NativeScope& scope);
}  // namespace atl::bindings
