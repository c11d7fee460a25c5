#pragma once
// The native half of lazy module "scope" (js/lazy/scope.js): structuredClone
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone) on V8's
// ValueSerializer (the JS half turns a DataCloneError into the DOMException the spec names), and
// the version navigator.userAgent reports.

namespace atl::bindings {
class NativeScope;

// native.structuredClone(value, transferList, cloneHost) -> the clone; transferred ArrayBuffers
// are detached. Host objects (instances of native.HostObject's subclasses: Blob, File) in the
// value are cloned by cloneHost(original) -> the copy, in the clone's place (the same copy for
// every reference to one original). Throws an Error named "DataCloneError" for what cannot be
// cloned.
// native.HostObject: the base class of cloneable platform objects (Blob), see SetHostConstructor.
// native.version() -> "0.1.0"
void InstallScope(NativeScope& scope);
}  // namespace atl::bindings
