#pragma once
// The native half of lazy module "scope" (js/lazy/scope.js): structuredClone
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone) on V8's
// ValueSerializer (the JS half turns a DataCloneError into the DOMException the spec names), and
// the version navigator.userAgent reports.

namespace atl::bindings {
class NativeScope;

// native.structuredClone(value, transferList) -> the clone; transferred ArrayBuffers are
// detached. Throws an Error named "DataCloneError" for what cannot be cloned.
// native.version() -> "0.1.0"
void InstallScope(NativeScope& scope);
}  // namespace atl::bindings
