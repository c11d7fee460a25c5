#pragma once
// UTF-8 conversions for the JS glue (https://encoding.spec.whatwg.org/#utf-8-encode and
// #utf-8-decode): bodies are text() and arrayBuffer() of each other. TextEncoder/TextDecoder
// will sit on the same functions.

namespace atl::bindings {
class NativeScope;

// native.utf8Encode(string) -> Uint8Array, native.utf8Decode(bufferSource) -> string
void InstallEncoding(NativeScope& scope);
}  // namespace atl::bindings
